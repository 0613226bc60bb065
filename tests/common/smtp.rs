//! A small SMTP server on loopback that records what it receives: the envelope, the
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]
//! credentials offered with `AUTH PLAIN` or `AUTH LOGIN`, and each message's raw text.
//! It speaks enough of RFC 5321 for a real client (EHLO, AUTH, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT, and STARTTLS when given a TLS configuration) and
//! can be told to refuse credentials or recipients, or to defer the first messages with
//! a transient error.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// One message as the sink received it.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// `(user, password)` from AUTH, if the client authenticated.
    pub auth: Option<(String, String)>,
    /// The message text, dot-unstuffed, with CRLF line ends.
    pub data: String,
    /// Whether the session had switched to TLS (STARTTLS) when the message came.
    pub encrypted: bool,
}

impl Received {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                if n.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value
    }
}

/// How the sink behaves.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// Credentials accepted by AUTH (any when `None`).
    pub credentials: Option<(String, String)>,
    /// Recipients refused with `550` (permanent).
    pub refuse_rcpt: Vec<String>,
    /// How many messages to defer with `451` before accepting.
    pub defer_first: usize,
    /// Offers STARTTLS with this configuration.
    pub tls: Option<Arc<ServerConfig>>,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn start(behaviour: Behaviour) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let deferred = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, behaviour.clone(), log.clone(), deferred.clone()));
            }
        });
        SmtpSink { addr, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` messages arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.received().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.received()
    }
}

fn decode(b64: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A plain or TLS connection.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn session(
    stream: TcpStream,
    behaviour: Behaviour,
    log: Arc<Mutex<Vec<Received>>>,
    deferred: Arc<AtomicUsize>,
) {
    let mut lines: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(stream));
    let mut encrypted = false;
    let mut current = Received::default();
    let mut auth = None;
    macro_rules! reply {
        ($text:expr) => {
            let stream = lines.get_mut();
            if stream.write_all(format!("{}\r\n", $text).as_bytes()).await.is_err()
                || stream.flush().await.is_err()
            {
                return;
            }
        };
    }
    reply!("220 sink.test ESMTP ready");
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let starttls = if behaviour.tls.is_some() && !encrypted { "250-STARTTLS\r\n" } else { "" };
            reply!(format!(
                "250-sink.test\r\n{starttls}250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8"
            ));
        } else if upper == "STARTTLS" {
            let Some(config) = behaviour.tls.clone().filter(|_| !encrypted) else {
                reply!("502 5.5.1 STARTTLS not offered");
                continue;
            };
            reply!("220 2.0.0 Ready to start TLS");
            let plain = lines.into_inner();
            let Ok(tls) = TlsAcceptor::from(config).accept(plain).await else { return };
            lines = BufReader::new(Box::new(tls));
            encrypted = true;
            auth = None;
        } else if upper.starts_with("AUTH PLAIN") {
            let payload = match command.get(11..).map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => p.to_string(),
                None => {
                    reply!("334 ");
                    let mut next = String::new();
                    if lines.read_line(&mut next).await.is_err() {
                        return;
                    }
                    next.trim().to_string()
                }
            };
            let plain = decode(&payload);
            let mut parts = plain.split('\0').skip(1);
            let user = parts.next().unwrap_or_default().to_string();
            let password = parts.next().unwrap_or_default().to_string();
            if behaviour.credentials.as_ref().is_some_and(|c| *c != (user.clone(), password.clone())) {
                reply!("535 5.7.8 Authentication credentials invalid");
            } else {
                auth = Some((user, password));
                reply!("235 2.7.0 Authentication successful");
            }
        } else if upper.starts_with("AUTH LOGIN") {
            let mut answers = Vec::new();
            for prompt in ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"] {
                reply!(prompt);
                let mut next = String::new();
                if lines.read_line(&mut next).await.is_err() {
                    return;
                }
                answers.push(decode(&next));
            }
            let pair = (answers.remove(0), answers.remove(0));
            if behaviour.credentials.as_ref().is_some_and(|c| *c != pair) {
                reply!("535 5.7.8 Authentication credentials invalid");
            } else {
                auth = Some(pair);
                reply!("235 2.7.0 Authentication successful");
            }
        } else if upper.starts_with("MAIL FROM:") {
            current = Received {
                mail_from: command[10..].trim().to_string(),
                auth: auth.clone(),
                encrypted,
                ..Received::default()
            };
            reply!("250 2.1.0 OK");
        } else if upper.starts_with("RCPT TO:") {
            let to = command[8..].trim().trim_start_matches('<').trim_end_matches('>').to_string();
            if behaviour.refuse_rcpt.contains(&to) {
                reply!("550 5.1.1 No such user here");
            } else {
                current.rcpt_to.push(to);
                reply!("250 2.1.5 OK");
            }
        } else if upper == "DATA" {
            reply!("354 End data with <CR><LF>.<CR><LF>");
            let mut data = String::new();
            loop {
                let mut next = String::new();
                match lines.read_line(&mut next).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if next == ".\r\n" || next == ".\n" {
                    break;
                }
                let unstuffed = next.strip_prefix('.').unwrap_or(&next);
                data.push_str(unstuffed);
            }
            current.data = data;
            if deferred.fetch_add(1, Ordering::SeqCst) < behaviour.defer_first {
                reply!("451 4.3.0 Try again later");
            } else {
                log.lock().unwrap().push(std::mem::take(&mut current));
                reply!("250 2.0.0 Queued");
            }
        } else if upper == "RSET" || upper == "NOOP" {
            reply!("250 2.0.0 OK");
        } else if upper == "QUIT" {
            reply!("221 2.0.0 Bye");
            return;
        } else {
            reply!("502 5.5.2 Command not recognized");
        }
    }
}
