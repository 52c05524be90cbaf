//! The hyper 1 HTTP/1.1 server: accepts loopback connections, reads each request fully, asks the
//! router for a reply, records the exchange and writes the response.

use std::convert::Infallible;
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

use crate::http::{Reply, Request};
use crate::model::{RecordedRequest, RecordedResponse};
use crate::router;
use crate::state::Shared;

/// Controls the accept loop.
#[derive(Debug)]
pub(crate) struct Handle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Handle {
    /// Asks the loop to stop, which also closes every open connection, and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            // The loop may already have ended; then there is nobody to tell.
            let _ = stop.send(());
        }
        // A join error means the task panicked or was aborted; either way it is gone.
        let _ = (&mut self.task).await;
    }

    /// Stops the loop without waiting, for `Drop`.
    pub fn abort(self) {
        self.task.abort();
    }
}

/// Runs the accept loop on the current tokio runtime.
pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) -> Handle {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                // Fires on an explicit stop and when the handle is dropped.
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                    }
                    // Accept errors (such as running out of file descriptors) are transient;
                    // back off briefly instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
            }
            while connections.try_join_next().is_some() {}
        }
        connections.shutdown().await;
    });
    Handle {
        stop: Some(stop),
        task,
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(respond(&shared, req).await) }
    });
    // A client that disconnects mid-request is its own business.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn respond(shared: &Shared, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let collected = Limited::new(body, shared.config.max_body_bytes)
        .collect()
        .await
        .map(|c| c.to_bytes().to_vec());
    let request = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: collected.as_ref().map(Clone::clone).unwrap_or_default(),
    };
    let (operation, reply) = match collected {
        Ok(_) => router::handle(shared, &request),
        Err(_) => (
            router::operation_of(&request.method, &request.path),
            Reply::error(
                413,
                format!(
                    "request body larger than {} bytes",
                    shared.config.max_body_bytes
                ),
            ),
        ),
    };

    let body = reply
        .body
        .as_ref()
        .map(|v| serde_json::to_vec(v).unwrap_or_default())
        .unwrap_or_default();
    let mut headers = Vec::with_capacity(reply.headers.len() + 1);
    if reply.body.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    headers.extend(reply.headers);

    let mut builder = hyper::Response::builder().status(reply.status);
    for (name, value) in &headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let response = builder
        .body(Full::new(Bytes::from(body.clone())))
        .unwrap_or_else(|_| {
            let mut fallback = hyper::Response::new(Full::new(Bytes::new()));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        });

    shared.lock().recorded.push(RecordedRequest {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
        operation,
        response: RecordedResponse {
            status: response.status().as_u16(),
            headers,
            body,
        },
    });
    response
}
