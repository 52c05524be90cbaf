//! The server over real loopback HTTP, with a hand-written HTTP/1.1 client so
//! that connections can be held open and watched closing.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{Limits, Server};

const LONG: Duration = Duration::from_secs(5);

/// Answers `METHOD path body`.
async fn echo(req: Request<Incoming>) -> Response<Full<Bytes>> {
    let head = format!("{} {}", req.method(), req.uri().path());
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let text = format!("{head} {}", String::from_utf8_lossy(&body));
    Response::new(Full::new(Bytes::from(text)))
}

/// Reads what has arrived into `buf`; the response must not be cut short.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 1024];
    let n = timeout(LONG, stream.read(&mut chunk))
        .await
        .unwrap()
        .unwrap();
    assert!(n > 0, "the connection closed before the response ended");
    buf.extend_from_slice(&chunk[..n]);
}

/// Sends `request` and reads one response: its status line and its body
/// (which has a `content-length`, as every `Full` body does).
async fn exchange(stream: &mut TcpStream, request: &str) -> (String, String) {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let end = loop {
        read_more(stream, &mut buf).await;
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8(buf[..end].to_vec()).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    while buf.len() < end + length {
        read_more(stream, &mut buf).await;
    }
    let status = head.lines().next().unwrap().to_string();
    let body = String::from_utf8(buf[end..end + length].to_vec()).unwrap();
    (status, body)
}

/// True once the peer has closed `stream` (end of file or a reset).
async fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        timeout(LONG, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// True once nothing listens on `addr` any more.
async fn refused(addr: std::net::SocketAddr) -> bool {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn answers_requests_on_a_loopback_port() {
    let server = Server::start(0, echo).await.unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(server.url(), format!("http://{addr}"));

    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (status, body) = exchange(
        &mut stream,
        "POST /pets HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nRex",
    )
    .await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, "POST /pets Rex");
    // Keep-alive: the same connection serves the next request.
    let (_, body) = exchange(&mut stream, "GET /again HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(body, "GET /again ");
    server.shutdown().await;
}

#[tokio::test]
async fn every_connection_shares_the_handler() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let server = Server::start(0, move |_req| {
        let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let mut response = Response::new(Full::new(Bytes::from(n.to_string())));
            *response.status_mut() = hyper::StatusCode::CREATED;
            response
        }
    })
    .await
    .unwrap();
    for expected in ["1", "2", "3"] {
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        let (status, body) = exchange(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert_eq!(status, "HTTP/1.1 201 Created");
        assert_eq!(body, expected);
    }
    server.shutdown().await;
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn shutdown_closes_open_connections_and_stops_listening() {
    let server = Server::start(0, echo).await.unwrap();
    let addr = server.local_addr();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    exchange(&mut idle, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    timeout(LONG, server.shutdown()).await.unwrap();
    assert!(
        closed(&mut idle).await,
        "a kept-alive connection stays open"
    );
    assert!(refused(addr).await, "the port still accepts connections");
}

#[tokio::test]
async fn shutdown_cuts_an_exchange_in_flight() {
    let server = Server::start(0, |_req| async {
        std::future::pending::<()>().await;
        Response::new(Full::new(Bytes::new()))
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    // Let the server take the request before it is told to stop.
    tokio::time::sleep(Duration::from_millis(50)).await;
    timeout(LONG, server.shutdown()).await.unwrap();
    assert!(closed(&mut stream).await);
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = Server::start(0, echo).await.unwrap();
    let addr = server.local_addr();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    exchange(&mut idle, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    drop(server);
    assert!(closed(&mut idle).await);
    assert!(refused(addr).await);
}

#[tokio::test]
async fn a_port_in_use_is_an_error() {
    let server = Server::start(0, echo).await.unwrap();
    let taken = server.local_addr().port();
    assert!(Server::start(taken, echo).await.is_err());
    // Port 0 picks another, free port.
    let other = Server::start(0, echo).await.unwrap();
    assert_ne!(other.local_addr().port(), taken);
    server.shutdown().await;
    other.shutdown().await;
}

/// Limits short enough for a test to watch them act.
fn short() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(300),
        write_timeout: Duration::from_millis(300),
        max_connections: 256,
    }
}

#[test]
fn the_default_limits_are_documented_ones() {
    let d = Limits::default();
    assert_eq!(d.header_read_timeout, Duration::from_secs(10));
    assert_eq!(d.write_timeout, Duration::from_secs(30));
    assert_eq!(d.max_connections, 256);
}

#[tokio::test]
async fn a_connection_that_never_sends_a_request_is_closed() {
    let server = Server::start_with(0, short(), echo).await.unwrap();
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let started = std::time::Instant::now();
    assert!(closed(&mut silent).await, "a silent connection stays open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250),
        "closed too early: {took:?}"
    );
    // Half a request head is no better than none.
    let mut slow = TcpStream::connect(server.local_addr()).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    assert!(
        closed(&mut slow).await,
        "a trickled request head is waited for"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = Server::start_with(0, short(), echo).await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let (status, _) = exchange(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(closed(&mut stream).await, "an idle connection stays open");
    server.shutdown().await;
}

#[tokio::test]
async fn connections_past_the_limit_wait_for_a_free_slot() {
    let limits = Limits {
        max_connections: 1,
        ..short()
    };
    let server = Server::start_with(0, limits, echo).await.unwrap();
    let addr = server.local_addr();
    // The first connection takes the only slot and keeps it while it is served.
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    // The second is queued by the kernel, not served, until the first ends.
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"GET /second HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        timeout(Duration::from_millis(150), second.read(&mut byte))
            .await
            .is_err(),
        "a connection past the limit was served at once"
    );
    // The first one times out (it never finishes its head); then the second is served.
    let mut buf = Vec::new();
    read_more(&mut second, &mut buf).await;
    assert!(buf.starts_with(b"HTTP/1.1 200 OK"), "{buf:?}");
    assert!(closed(&mut first).await);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_read_its_response_is_dropped() {
    let limits = Limits {
        max_connections: 1,
        header_read_timeout: Duration::from_secs(30),
        ..short()
    };
    // Far more than the socket buffers of both ends hold.
    let big = Bytes::from(vec![b'x'; 64 * 1024 * 1024]);
    let server = Server::start_with(0, limits, move |_req| {
        let body = big.clone();
        async move { Response::new(Full::new(body)) }
    })
    .await
    .unwrap();
    let addr = server.local_addr();
    let mut stuck = TcpStream::connect(addr).await.unwrap();
    stuck
        .write_all(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    // Never read: the server's write stalls, times out, and frees the only slot.
    let mut next = TcpStream::connect(addr).await.unwrap();
    next.write_all(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    read_more(&mut next, &mut buf).await;
    assert!(buf.starts_with(b"HTTP/1.1 200 OK"), "{buf:?}");
    drop(stuck);
    server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    let server = Server::start(0, |req: Request<Incoming>| async move {
        if req.uri().path() == "/panic" {
            panic!("a handler bug");
        }
        Response::new(Full::new(Bytes::from("fine")))
    })
    .await
    .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let (status, body) = exchange(&mut stream, "GET /panic HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 500 Internal Server Error");
    assert_eq!(body, "");
    // The same connection, and the server, go on.
    let (status, body) = exchange(&mut stream, "GET /ok HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, "fine");
    server.shutdown().await;
}
