//! Which addresses `http.request` may reach.
//!
//! In: an IP address, or a host name to resolve, and the project's `[http] allow_hosts`.
//! Out: the class of a refused address (loopback, private, link-local, metadata, …), the
//! allow list's answer for a host and port, and a DNS resolver for the HTTP client that
//! hands it only addresses that passed the check, so the client connects to exactly what
//! was checked (a name that resolves differently the second time gains nothing).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address is not reachable without the project's say-so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressClass {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`, `fc00::/7`, `fec0::/10`, local-use NAT64.
    Private,
    /// Carrier-grade NAT, `100.64/10`.
    SharedNat,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// Cloud instance metadata: `169.254.169.254`, `fd00:ec2::254`, `100.100.100.200`,
    /// `168.63.129.16`.
    Metadata,
    /// `0.0.0.0/8`, `::` (which reach the machine itself).
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// Documentation, benchmarking, future-use, discard-only and tunnelling ranges, and
    /// deprecated IPv4-compatible IPv6 addresses.
    Reserved,
}

impl AddressClass {
    /// "a loopback address", for messages.
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::SharedNat => "a carrier-grade NAT address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::Metadata => "a cloud metadata address",
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::Broadcast => "a broadcast address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

/// The class of an address `http.request` refuses, or `None` for a public one. IPv6
/// forms that carry an IPv4 address (mapped, SIIT, NAT64, 6to4) are judged by it.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass as C;
    Some(match ip.octets() {
        // AWS, GCP, Azure and OpenStack; Alibaba; Azure's wire server.
        [169, 254, 169, 254] | [100, 100, 100, 200] | [168, 63, 129, 16] => C::Metadata,
        [0, ..] => C::Unspecified,
        [127, ..] => C::Loopback,
        [10, ..] | [172, 16..=31, ..] | [192, 168, ..] => C::Private,
        [100, 64..=127, ..] => C::SharedNat,
        [169, 254, ..] => C::LinkLocal,
        [255, 255, 255, 255] => C::Broadcast,
        [224..=239, ..] => C::Multicast,
        [240..=255, ..]
        | [192, 0, 0 | 2, _]
        | [192, 88, 99, _]
        | [198, 18..=19, ..]
        | [198, 51, 100, _]
        | [203, 0, 113, _] => C::Reserved,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    use AddressClass as C;
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    Some(match ip.segments() {
        [0, 0, 0, 0, 0, 0, 0, 0] => C::Unspecified,
        [0, 0, 0, 0, 0, 0, 0, 1] => C::Loopback,
        // IPv4-mapped (`::ffff:a.b.c.d`) and SIIT-translated (`::ffff:0:a.b.c.d`).
        [0, 0, 0, 0, 0, 0xffff, high, low] | [0, 0, 0, 0, 0xffff, 0, high, low] => {
            return classify_v4(v4(high, low));
        }
        // IPv4-compatible (`::a.b.c.d`), deprecated since 2006.
        [0, 0, 0, 0, 0, 0, _, _] => C::Reserved,
        // NAT64 well-known prefix, then its local-use prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => return classify_v4(v4(high, low)),
        [0x64, 0xff9b, 1, ..] => C::Private,
        // 6to4 embeds the site's IPv4 address.
        [0x2002, high, low, ..] => return classify_v4(v4(high, low)),
        // Discard-only, Teredo, documentation.
        [0x100, 0, 0, 0, ..] | [0x2001, 0, ..] | [0x2001, 0xdb8, ..] => C::Reserved,
        [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] => C::Metadata,
        [0xfc00..=0xfdff, ..] | [0xfec0..=0xfeff, ..] => C::Private,
        [0xfe80..=0xfebf, ..] => C::LinkLocal,
        [0xff00..=0xffff, ..] => C::Multicast,
        _ => return None,
    })
}

/// The hosts the project lets `http.request` reach whatever they resolve to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(in crate::connectors) struct AllowList {
    hosts: Vec<AllowedHost>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct AllowedHost {
    /// As [`Url::host_str`] gives it: lower case, IPv4 in dotted decimal, IPv6 in
    /// brackets and compressed.
    host: String,
    /// `None`: any port.
    port: Option<u16>,
}

impl AllowList {
    /// The list from `allow_hosts` entries (`host`, `host:port`, `[v6]:port`), and the
    /// entries that are not a host.
    pub(in crate::connectors) fn new(entries: &[String]) -> (AllowList, Vec<String>) {
        let mut hosts = Vec::new();
        let mut invalid = Vec::new();
        for entry in entries {
            match parse_entry(entry) {
                Some(host) => hosts.push(host),
                None => invalid.push(entry.clone()),
            }
        }
        (AllowList { hosts }, invalid)
    }

    /// Whether `host` (as [`Url::host_str`] gives it) on `port` is allowed by name.
    pub(in crate::connectors) fn allows(&self, host: &str, port: u16) -> bool {
        self.hosts.iter().any(|h| h.host == host && h.port.is_none_or(|p| p == port))
    }
}

fn parse_entry(entry: &str) -> Option<AllowedHost> {
    let entry = entry.trim();
    let (host, port) = if entry.starts_with('[') {
        match entry.split_once("]:") {
            Some((v6, port)) => (format!("{v6}]"), Some(port)),
            None => (entry.to_string(), None),
        }
    } else if entry.matches(':').count() > 1 {
        (format!("[{entry}]"), None)
    } else {
        match entry.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (entry.to_string(), None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    Some(AllowedHost { host: canonical_host(&host)?, port })
}

/// A host as a URL would spell it (`127.1` → `127.0.0.1`), or `None` when the text is
/// not a host alone.
fn canonical_host(host: &str) -> Option<String> {
    if host.is_empty() || host.contains(['/', '?', '#', '@', '\\']) {
        return None;
    }
    let url = Url::parse(&format!("http://{host}/")).ok()?;
    if url.port().is_some() || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    url.host_str().map(str::to_string)
}

/// The IP address a URL's host names directly (`[::1]` included), if it does.
pub(in crate::connectors) fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.parse().ok()
}

/// Every address of `host` was refused.
#[derive(Debug)]
pub(in crate::connectors) struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub class: AddressClass,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if ip_literal(&self.host) == Some(self.ip) {
            write!(f, "`{}` is {}", self.host, self.class.describe())
        } else {
            write!(f, "`{}` resolves to {} ({})", self.host, self.class.describe(), self.ip)
        }
    }
}

impl std::error::Error for Refused {}

/// The name did not resolve.
#[derive(Debug)]
pub(in crate::connectors) struct Unresolved {
    pub host: String,
    pub cause: String,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not resolve `{}`: {}", self.host, self.cause)
    }
}

impl std::error::Error for Unresolved {}

/// The HTTP client's resolver: the system's, keeping only addresses that pass
/// [`classify`] (all of them for a client that serves allowed hosts only).
#[derive(Clone, Copy, Debug)]
pub(in crate::connectors) struct GuardedResolver {
    pub check: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let check = self.check;
        Box::pin(async move {
            let lookup: std::io::Result<Vec<SocketAddr>> =
                tokio::net::lookup_host((host.as_str(), 0)).await.map(Iterator::collect);
            let found = match lookup {
                Ok(found) => found,
                Err(e) => return Err(Unresolved { host, cause: e.to_string() }.into()),
            };
            let mut first_refused = None;
            let mut kept = Vec::new();
            for addr in found {
                match classify(addr.ip()).filter(|_| check) {
                    None => kept.push(addr),
                    Some(class) => {
                        first_refused.get_or_insert((addr.ip(), class));
                    }
                }
            }
            match (kept.is_empty(), first_refused) {
                (false, _) => Ok(Box::new(kept.into_iter()) as Addrs),
                (true, Some((ip, class))) => Err(Refused { host, ip, class }.into()),
                (true, None) => Err(Unresolved { host, cause: "no addresses".into() }.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<AddressClass> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn refuses_inner_addresses() {
        use AddressClass as C;
        for (ip, expected) in [
            ("127.0.0.1", C::Loopback),
            ("127.255.0.9", C::Loopback),
            ("::1", C::Loopback),
            ("10.0.0.1", C::Private),
            ("172.16.0.1", C::Private),
            ("172.31.255.255", C::Private),
            ("192.168.1.1", C::Private),
            ("fc00::1", C::Private),
            ("fd12:3456::1", C::Private),
            ("100.64.0.1", C::SharedNat),
            ("169.254.1.1", C::LinkLocal),
            ("fe80::1", C::LinkLocal),
            ("169.254.169.254", C::Metadata),
            ("fd00:ec2::254", C::Metadata),
            ("0.0.0.0", C::Unspecified),
            ("::", C::Unspecified),
            ("255.255.255.255", C::Broadcast),
            ("224.0.0.1", C::Multicast),
            ("ff02::1", C::Multicast),
            ("::ffff:127.0.0.1", C::Loopback),
            ("::ffff:169.254.169.254", C::Metadata),
            ("::ffff:0:10.1.2.3", C::Private),
            ("::127.0.0.1", C::Reserved),
            ("64:ff9b::10.0.0.1", C::Private),
            ("2002:c0a8:0101::1", C::Private),
            ("2001:db8::1", C::Reserved),
        ] {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn lets_public_addresses_through() {
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn allow_list_matches_canonical_hosts_and_ports() {
        let entries: Vec<String> =
            ["127.0.0.1:9000", "LocalHost", "[::1]:8080", "::2", "0x7f.2:81", "bad/entry", "h:port"]
                .map(String::from)
                .to_vec();
        let (list, invalid) = AllowList::new(&entries);
        assert_eq!(invalid, ["bad/entry", "h:port"]);
        assert!(list.allows("127.0.0.1", 9000));
        assert!(!list.allows("127.0.0.1", 9001));
        assert!(list.allows("localhost", 1));
        assert!(list.allows("[::1]", 8080));
        assert!(!list.allows("[::1]", 80));
        assert!(list.allows("[::2]", 443));
        assert!(list.allows("127.0.0.2", 81));
    }

    #[test]
    fn ip_literals_are_recognised() {
        assert_eq!(ip_literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(ip_literal("example.com"), None);
    }
}
