//! The one loopback HTTP/1.1 accept loop of the workspace (hyper 1 on tokio).
//!
//! [`Server::start`] binds `127.0.0.1:port` (0 picks a free port) and answers
//! every request with an async handler; [`Server::shutdown`] stops accepting,
//! closes the open connections and waits until nothing of the server is left
//! running. Dropping a [`Server`] stops it too, without waiting.
//!
//! A server never hangs on a client and never dies of one: every connection
//! works within [`Limits`] (how long a request head may take to arrive, which
//! also bounds an idle keep-alive connection; how long a response may wait for
//! a client that stopped reading; how many connections are served at once),
//! and a handler that panics answers `500` on its own connection while the
//! others go on.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use hyper::{Request, Response};
//!
//! let server = arazzo_serve::Server::start(0, |_req: Request<hyper::body::Incoming>| async {
//!     Response::new(String::from("hello"))
//! })
//! .await?;
//! println!("listening on {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{Either, Empty};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

mod io;

/// How long the loop waits after a failed `accept` (out of file descriptors,
/// a connection reset before it was taken) before it tries again, instead of
/// spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// What a server allows each client, so that no client can hang it or use it
/// up. The defaults suit a loopback test server; every field can be changed
/// for a server started with [`Server::start_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's line and headers, from
    /// the moment the server starts waiting for them. The server also starts
    /// waiting when a keep-alive connection has answered its last request, so
    /// this is as well how long an idle connection is kept open. A connection
    /// that opens and sends nothing is closed after this long. Default: 10 s.
    pub header_read_timeout: Duration,
    /// How long writing a response may make no progress (the client does not
    /// read it) before the connection is closed. Default: 30 s.
    pub write_timeout: Duration,
    /// How many connections are served at once. Further clients wait in the
    /// listen queue until one closes (which the two timeouts guarantee).
    /// Default: 256.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// An async request handler: any `Fn(Request<Incoming>) -> impl Future<Output = Response<B>>`
/// that can be shared between connections and tasks, where `B` is a response body hyper can
/// send (such as `http_body_util::Full<Bytes>` or `String`).
///
/// Implemented for every such closure or function; there is nothing to implement by hand.
pub trait Handler: Send + Sync + 'static {
    /// The response body.
    type Body: Body<Data: Send, Error: Into<Box<dyn StdError + Send + Sync>>> + Send + 'static;
    /// The future of one response.
    type Future: Future<Output = Response<Self::Body>> + Send + 'static;

    /// Starts answering `req`.
    fn call(&self, req: Request<Incoming>) -> Self::Future;
}

impl<H, F, B> Handler for H
where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data: Send, Error: Into<Box<dyn StdError + Send + Sync>>> + Send + 'static,
{
    type Body = B;
    type Future = F;

    fn call(&self, req: Request<Incoming>) -> F {
        self(req)
    }
}

/// A running loopback HTTP/1.1 server.
///
/// Every accepted connection is served on its own task, tracked by the
/// server, so that [`Server::shutdown`] can close them all. Dropping the
/// server aborts the accept loop and with it every connection.
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Binds `127.0.0.1:port` (port 0 picks a free port) and serves every
    /// request with `handler` on the caller's tokio runtime, until the server
    /// is shut down or dropped.
    ///
    /// The handler gets the request with its body unread and returns the
    /// response; it is shared by every connection, so state it needs goes in
    /// an `Arc` it captures. A client that goes away mid-exchange ends only
    /// its own connection; a handler that panics answers that request with an
    /// empty `500` and the server goes on. Connections live within the
    /// default [`Limits`].
    ///
    /// # Errors
    ///
    /// When the port cannot be bound (already in use, not permitted).
    pub async fn start<H: Handler>(port: u16, handler: H) -> std::io::Result<Server> {
        Server::start_with(port, Limits::default(), handler).await
    }

    /// Like [`Server::start`], with other [`Limits`].
    ///
    /// # Errors
    ///
    /// When the port cannot be bound (already in use, not permitted).
    pub async fn start_with<H: Handler>(
        port: u16,
        limits: Limits,
        handler: H,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(accept_loop(listener, Arc::new(handler), limits, stopped));
        Ok(Server {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address, e.g. `127.0.0.1:41234`.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's origin, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes every open connection (an exchange in flight
    /// is cut off) and waits until the accept loop and all connection tasks
    /// have ended.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The loop may have ended already; then nobody is left to tell.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // A join error means the task panicked or was aborted: it is gone either way.
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Aborting the loop drops its set of connections, which aborts them.
            task.abort();
        }
    }
}

/// Accepts connections until told to stop, then closes the open ones. At most
/// `limits.max_connections` are served at once: past that the loop stops
/// accepting until one ends.
async fn accept_loop<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: Limits,
    mut stopped: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let limits = Arc::new(limits);
    let mut connections = JoinSet::new();
    loop {
        // Forget the connections that have ended, so the set does not grow.
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            // Fires on an explicit stop, and when the sender is dropped.
            _ = &mut stopped => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                // The semaphore is never closed; if it were, nothing could be served.
                Err(_) => break,
            },
        };
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(
                        stream,
                        Arc::clone(&handler),
                        Arc::clone(&limits),
                        slot,
                    ));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
        }
    }
    connections.shutdown().await;
}

/// Serves the requests of one connection; `_slot` is given back when it ends.
async fn serve_connection<H: Handler>(
    stream: TcpStream,
    handler: Arc<H>,
    limits: Arc<Limits>,
    _slot: OwnedSemaphorePermit,
) {
    // Small responses go out at once instead of waiting for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let stream = io::Stalling::new(stream, limits.write_timeout);
    let service = service_fn(move |req| {
        let handler = Arc::clone(&handler);
        async move { Ok::<_, Infallible>(answer(handler.as_ref(), req).await) }
    });
    // A client that goes away mid-exchange, or that times out, is not the
    // server's problem.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The body of a response: the handler's, or the empty one of a `500` sent in
/// its place when it panicked.
type Answer<B> = Either<B, Empty<<B as Body>::Data>>;

/// Calls the handler, turning a panic (while it is called or while its future
/// runs) into an empty `500`.
async fn answer<H: Handler>(handler: &H, req: Request<Incoming>) -> Response<Answer<H::Body>> {
    let called = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(req)));
    let finished = match called {
        Ok(future) => {
            CatchUnwind {
                future: Box::pin(future),
            }
            .await
        }
        Err(_) => None,
    };
    match finished {
        Some(response) => response.map(Either::Left),
        None => {
            let mut r = Response::new(Either::Right(Empty::new()));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

/// A future's output, or `None` if polling it panicked.
struct CatchUnwind<F> {
    future: Pin<Box<F>>,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.future.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Some(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests;
