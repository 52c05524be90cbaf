//! The HTTP side of the simulator (on the shared loopback server of `arazzo-serve`): reads each
//! request fully, asks the router for a reply, records the exchange and writes the response.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;

use crate::http::{Reply, Request};
use crate::model::{RecordedRequest, RecordedResponse};
use crate::router;
use crate::state::Shared;

/// Serves `shared` on `127.0.0.1:port` on the current tokio runtime.
pub(crate) async fn start(shared: Arc<Shared>, port: u16) -> std::io::Result<arazzo_serve::Server> {
    arazzo_serve::Server::start(port, move |req| {
        let shared = Arc::clone(&shared);
        async move { respond(&shared, req).await }
    })
    .await
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
