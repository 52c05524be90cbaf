//! The default driver parts: HTTP over reqwest, time on tokio.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arazzo_openapi::HttpRequest;

use super::{BoxFuture, Clock, EngineError, Transport};
use crate::exchange::{HttpResponse, TransportError};

/// Real time, on tokio.
#[derive(Debug, Clone)]
pub struct TokioClock {
    start: Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock {
            start: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn unix_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Options of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Accept invalid TLS certificates (for test servers only).
    pub insecure: bool,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_response_bytes: 50 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            insecure: false,
            user_agent: format!("arazzo-run/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// How long an idle pooled connection is kept for reuse.
const IDLE_CONNECTION: Duration = Duration::from_secs(4);

/// The reqwest transport.
///
/// Its clients are built on first use, and the one for `https` URLs is built
/// apart: loading the system's trust roots is the largest single cost of a
/// short run's start (a few milliseconds, every root certificate parsed), so a
/// run that only talks plain HTTP — a loopback mock or stand-in, a CI service
/// container — never pays it. Clones share the clients and their connection
/// pools.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    clients: Arc<Clients>,
    max_bytes: usize,
}

#[derive(Debug)]
struct Clients {
    options: HttpOptions,
    /// For `http` URLs: no trust roots loaded (an `https` URL never reaches it).
    plain: OnceLock<Result<reqwest::Client, String>>,
    /// For `https` URLs, and for every URL when a proxy is configured (the
    /// proxy itself may speak TLS).
    tls: OnceLock<Result<reqwest::Client, String>>,
    /// Whether the environment names a proxy.
    proxied: bool,
}

/// The variables reqwest's system-proxy support reads.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

impl Clients {
    fn builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.options.connect_timeout)
            // An idle connection is dropped before the usual server keep-alive
            // timeouts (Node.js 5 s; our own loopback servers 10 s) can close
            // it: a request sent on a connection the server is closing fails
            // with "connection closed before message completed", and a POST
            // cannot be retried safely.
            .pool_idle_timeout(IDLE_CONNECTION)
            .danger_accept_invalid_certs(self.options.insecure)
            .user_agent(self.options.user_agent.clone())
    }

    /// The client for `url`, built on first use.
    fn client(&self, url: &str) -> Result<&reqwest::Client, TransportError> {
        let plain = !self.proxied
            && url
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        let slot = if plain { &self.plain } else { &self.tls };
        let built = slot.get_or_init(|| {
            arazzo_openapi::fetch::install_tls_provider();
            let builder = if plain {
                // An empty root store: nothing is read from the system.
                self.builder().tls_certs_only(Vec::new())
            } else {
                self.builder()
            };
            builder.build().map_err(|e| e.to_string())
        });
        built.as_ref().map_err(|e| {
            TransportError::Failed(format!("the HTTP client could not be set up: {e}"))
        })
    }
}

impl ReqwestTransport {
    /// A transport with its own connection pools.
    ///
    /// Nothing is set up until the first request: a client that cannot be
    /// built (no usable trust store, say) fails that request with the reason.
    pub fn new(options: &HttpOptions) -> Result<ReqwestTransport, EngineError> {
        let proxied = PROXY_VARIABLES
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        Ok(ReqwestTransport {
            clients: Arc::new(Clients {
                options: options.clone(),
                plain: OnceLock::new(),
                tls: OnceLock::new(),
                proxied,
            }),
            max_bytes: options.max_response_bytes,
        })
    }

    async fn send_inner(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            TransportError::Failed(format!("invalid HTTP method `{}`", request.method))
        })?;
        let client = self.clients.client(&request.url)?;
        let mut builder = client.request(method, &request.url).timeout(timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut resp = builder.send().await.map_err(|e| describe(&e, timeout))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(TransportError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e, timeout))? {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_bytes {
                return Err(TransportError::TooLarge(self.max_bytes));
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn describe(e: &reqwest::Error, timeout: Duration) -> TransportError {
    if e.is_timeout() {
        return TransportError::Timeout(timeout.as_millis() as u64);
    }
    // The outermost message of reqwest is generic; the source says why.
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    TransportError::Failed(msg)
}

impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            match tokio::time::timeout(
                timeout + Duration::from_millis(50),
                self.send_inner(request, timeout),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout(timeout.as_millis() as u64)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A loopback server that answers every connection with one fixed HTTP
    /// response, on a thread of its own, for `n` connections.
    fn answer(n: usize) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(n) {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
        addr
    }

    fn get(url: String) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    #[tokio::test]
    async fn plain_http_never_sets_up_tls_and_https_gets_its_own_client() {
        let addr = answer(2);
        let t = ReqwestTransport::new(&HttpOptions::default()).unwrap();
        let r = t
            .send(get(format!("http://{addr}/")), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
        if !t.clients.proxied {
            assert!(t.clients.plain.get().is_some());
            assert!(
                t.clients.tls.get().is_none(),
                "no trust roots are loaded for a plain http request"
            );
        }
        // The server speaks plain HTTP: the TLS handshake fails, as an error
        // of the request (not a panic for want of a crypto provider).
        let e = t
            .send(get(format!("https://{addr}/")), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(e, TransportError::Failed(_)), "{e:?}");
        assert!(t.clients.tls.get().is_some_and(|c| c.is_ok()));
        // Clones share the clients.
        let clone = t.clone();
        assert!(Arc::ptr_eq(&clone.clients, &t.clients));
    }
}
