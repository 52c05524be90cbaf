//! The loopback HTTP/1.1 server (hyper 1) in front of a [`Mock`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::mock::Mock;

/// The accept loop and how to stop it.
pub(crate) struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, closes open connections and waits for the loop to end.
    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            // The loop may have ended already; nobody is left to tell.
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            // A join error means the task was aborted or panicked: it is gone either way.
            let _ = t.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Binds `127.0.0.1:port` and serves `mock` on the current tokio runtime.
pub(crate) async fn start(mock: Arc<Mock>, port: u16) -> std::io::Result<(SocketAddr, Running)> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        connections.spawn(serve(stream, Arc::clone(&mock)));
                    }
                    // Transient (out of descriptors, connection reset before accept): back off.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
            }
            while connections.try_join_next().is_some() {}
        }
        connections.shutdown().await;
    });
    Ok((
        addr,
        Running {
            stop: Some(stop),
            task: Some(task),
        },
    ))
}

async fn serve(stream: TcpStream, mock: Arc<Mock>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| {
        let mock = Arc::clone(&mock);
        async move { Ok::<_, Infallible>(answer(&mock, req).await) }
    });
    // A client that goes away mid-exchange is not the server's problem.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn answer(mock: &Mock, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let limit = mock.max_body_bytes();
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let response = if declared.is_some_and(|n| n > limit as u64) {
        mock.too_large(&parts.method, &parts.uri)
    } else {
        match Limited::new(body, limit).collect().await {
            Ok(collected) => mock.handle(http::Request::from_parts(parts, collected.to_bytes())),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                mock.too_large(&parts.method, &parts.uri)
            }
            Err(e) => crate::mock::problem(
                http::StatusCode::BAD_REQUEST,
                "Unreadable request body",
                &format!("the request body could not be read: {e}"),
                &[],
            ),
        }
    };
    response.map(Full::new)
}
