//! The HTTP surface against hostile or broken clients (engine.md §7), on a real server
//! on loopback with short limits: half-open connections do not stop `/healthz`; a head
//! that never ends is cut off; a body that stalls gets 408; too many or too large
//! header fields get 431; a body over 1 MiB is refused while it streams; and an event
//! whose client hangs up during the commit is still counted in `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{eventually, project};
use komo::engine::{Clock, Engine};
use komo::server::Limits;

const WELCOME: &str = "workflow welcome {\n  scope workspace\n  trigger Contact.Created\n  contact.update(add_tags: [\"new\"])\n}\n";

struct Served {
    address: SocketAddr,
    engine: Arc<Engine>,
    key: String,
    stop: tokio::sync::watch::Sender<bool>,
}

async fn serve(test: &str, limits: Limits) -> Served {
    let dir = project("hostile", test, "acme", &[("welcome.komo", WELCOME)]);
    let engine = Arc::new(
        komo::cli::project::open_engine_with_clock(&dir, None, Clock::from(common::manual_clock()))
            .await
            .unwrap(),
    );
    engine.activate("acme", "welcome").await.unwrap();
    let key = engine.create_key().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    tokio::spawn(komo::server::serve_limited(Arc::clone(&engine), listener, limits, shutdown));
    Served { address, engine, key, stop }
}

fn short() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        drain: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// Sends `head` (and `body`) on a new connection and reads the answer's status line,
/// or `None` when the server closed the connection without one.
fn exchange(address: SocketAddr, request: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_string();
    text.lines().next().filter(|l| l.starts_with("HTTP/1.1")).map(str::to_string)
}

fn healthz(address: SocketAddr) -> (Option<String>, Duration) {
    let started = Instant::now();
    let status = exchange(address, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_do_not_stop_healthz_and_are_cut_off() {
    let served = serve("half_open", short()).await;
    let address = served.address;
    let held = tokio::task::spawn_blocking(move || {
        // 600 clients that start a request and never finish its head.
        let mut held: Vec<TcpStream> = (0..600)
            .map(|_| {
                let mut s = TcpStream::connect(address).unwrap();
                s.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n").unwrap();
                s
            })
            .collect();
        let (status, took) = healthz(address);
        assert_eq!(status.as_deref(), Some("HTTP/1.1 200 OK"));
        assert!(took < Duration::from_secs(1), "healthz took {took:?} beside 600 half-open connections");
        // After the header timeout the server has closed them: a read sees the end (or a
        // 408 hyper writes before closing).
        std::thread::sleep(Duration::from_millis(1500));
        let mut closed = 0;
        for s in &mut held {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 256];
            match s.read(&mut buf) {
                Ok(_) => closed += 1,
                Err(e) if e.kind() == ErrorKind::ConnectionReset => closed += 1,
                Err(e) => panic!("a half-open connection is still open: {e}"),
            }
        }
        closed
    })
    .await
    .unwrap();
    assert_eq!(held, 600);
    // A connection that says nothing at all is closed too.
    let silent = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(address).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(silent < Duration::from_secs(4), "a silent connection stayed {silent:?}");
    served.stop.send(true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_gets_408_and_oversized_heads_431() {
    let served = serve("stalled", short()).await;
    let (address, key) = (served.address, served.key.clone());
    tokio::task::spawn_blocking(move || {
        // Declares 100 bytes, sends 10, then waits.
        let mut s = TcpStream::connect(address).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\": \"e1\"").unwrap();
        let started = Instant::now();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("did not arrive within 1s"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(4));

        // 200 header fields (the limit is 100).
        let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
        for i in 0..200 {
            many.push_str(&format!("X-Field-{i}: {i}\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(exchange(address, many.as_bytes()).as_deref(), Some("HTTP/1.1 431 Request Header Fields Too Large"));
        // One field of 64 KiB (the limit is 32 KiB for the whole head).
        let big = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(64 * 1024));
        assert_eq!(exchange(address, big.as_bytes()).as_deref(), Some("HTTP/1.1 431 Request Header Fields Too Large"));
    })
    .await
    .unwrap();
    served.stop.send(true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_over_the_cap_is_refused_while_it_streams() {
    let served = serve("chunked", short()).await;
    let (address, key) = (served.address, served.key.clone());
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(address).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        // 2 MiB in 64 KiB chunks, without an end: the answer comes once 1 MiB has passed.
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        for _ in 0..32 {
            let wrote = write!(s, "{:x}\r\n", chunk.len()).and_then(|()| s.write_all(&chunk)).and_then(|()| s.write_all(b"\r\n"));
            if wrote.is_err() {
                break;
            }
            sent += chunk.len();
        }
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "after {sent} bytes: {answer}");
    })
    .await
    .unwrap();
    served.stop.send(true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_client_hangs_up_is_stored_and_counted_once() {
    let served = serve("hang_up", short()).await;
    let (address, key) = (served.address, served.key.clone());
    const EVENTS: usize = 60;
    let (address2, key2) = (address, key.clone());
    let first = tokio::task::spawn_blocking(move || {
        let body = r#"{"id":"e_first","type":"Contact.Created","occurred_at":"2026-11-29T09:00:00Z","contact":{"email":"first@example.com"},"data":{"source":"form"}}"#;
        let request = format!("POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key2}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let mut s = TcpStream::connect(address2).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    })
    .await
    .unwrap();
    assert!(first.starts_with("HTTP/1.1 202"), "{first:?}");
    tokio::task::spawn_blocking(move || {
        for i in 0..EVENTS {
            let body = format!(
                r#"{{"id":"e{i}","type":"Contact.Created","occurred_at":"2026-11-29T09:00:00Z","contact":{{"email":"c{i}@example.com"}},"data":{{"source":"form"}}}}"#
            );
            let mut s = TcpStream::connect(address).unwrap();
            write!(s, "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
            // Hang up after 0 to 9 ms: while the server reads, checks or commits.
            std::thread::sleep(Duration::from_millis((i % 10) as u64));
            drop(s);
        }
    })
    .await
    .unwrap();
    // Whatever was stored was counted, exactly: runs (one per stored event) and the
    // metric agree once everything in flight has ended.
    let engine = Arc::clone(&served.engine);
    let (stored, counted) = eventually("the hung-up events settle", async || {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let all = komo::engine::api::RunFilter { limit: Some(500), ..Default::default() };
        let runs = engine.runs("acme", &all).await.unwrap().runs.len();
        let text = engine.metrics_text();
        let counted: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("komo_events_accepted_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = engine.runs("acme", &all).await.unwrap().runs.len();
        if runs == again && runs == counted {
            Ok((runs, counted))
        } else {
            Err(format!("runs {runs} then {again}, counted {counted}"))
        }
    })
    .await;
    assert_eq!(stored, counted);
    assert!(stored > 0, "some of the events were read before their clients hung up");
    served.stop.send(true).unwrap();
}
