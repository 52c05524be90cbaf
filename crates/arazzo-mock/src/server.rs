//! The loopback HTTP/1.1 server (hyper 1) in front of a [`Mock`].

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;

use crate::mock::Mock;

/// Serves `mock` on `127.0.0.1:port` on the current tokio runtime.
pub(crate) async fn start(mock: Arc<Mock>, port: u16) -> std::io::Result<arazzo_serve::Server> {
    let limits = mock.options().limits.clone();
    arazzo_serve::Server::start_with(port, limits, move |req| {
        let mock = Arc::clone(&mock);
        async move { answer(&mock, req).await }
    })
    .await
}

async fn answer(mock: &Mock, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let limit = mock.max_body_bytes();
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let wait = mock.options().body_read_timeout;
    let response = if declared.is_some_and(|n| n > limit as u64) {
        mock.too_large(&parts.method, &parts.uri)
    } else {
        match tokio::time::timeout(wait, Limited::new(body, limit).collect()).await {
            Ok(Ok(collected)) => {
                mock.handle(http::Request::from_parts(parts, collected.to_bytes()))
            }
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                mock.too_large(&parts.method, &parts.uri)
            }
            Ok(Err(e)) => crate::mock::problem(
                http::StatusCode::BAD_REQUEST,
                "Unreadable request body",
                &format!("the request body could not be read: {e}"),
                &[],
            ),
            Err(_) => mock.too_slow(&parts.method, &parts.uri),
        }
    };
    response.map(Full::new)
}
