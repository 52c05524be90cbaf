//! The one loopback HTTP/1.1 accept loop of the workspace (hyper 1 on tokio).
//!
//! [`Server::start`] binds `127.0.0.1:port` (0 picks a free port) and answers
//! every request with an async handler; [`Server::shutdown`] stops accepting,
//! closes the open connections and waits until nothing of the server is left
//! running. Dropping a [`Server`] stops it too, without waiting.
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
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// How long the loop waits after a failed `accept` (out of file descriptors,
/// a connection reset before it was taken) before it tries again, instead of
/// spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

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
    /// its own connection.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound (already in use, not permitted).
    pub async fn start<H: Handler>(port: u16, handler: H) -> std::io::Result<Server> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(accept_loop(listener, Arc::new(handler), stopped));
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

/// Accepts connections until told to stop, then closes the open ones.
async fn accept_loop<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // Fires on an explicit stop, and when the sender is dropped.
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&handler)));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
        }
        // Forget the connections that have ended, so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

/// Serves the requests of one connection.
async fn serve_connection<H: Handler>(stream: TcpStream, handler: Arc<H>) {
    // Small responses go out at once instead of waiting for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| {
        let response = handler.call(req);
        async move { Ok::<_, Infallible>(response.await) }
    });
    // A client that goes away mid-exchange is not the server's problem.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

#[cfg(test)]
mod tests;
