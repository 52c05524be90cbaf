//! Reading input documents: files, standard input, and (for the commands
//! that read one document) http(s) URLs.
//!
//! Every read is bounded by [`MAX_BYTES`], the same limit as a fetched
//! source description: at most that many bytes (and one more, to tell) are
//! read, so `/dev/zero` or an endless pipe on standard input ends with an
//! error instead of exhausting memory. Files must be regular files: a FIFO,
//! socket or device is refused before it is opened (opening a FIFO blocks
//! until another process writes to it); pipe a document into standard input
//! with `-` instead.

use std::io::Read;

use arazzo_model::{Code, Diagnostic};
use arazzo_openapi::fetch::{DefaultFetcher, FetchError, Fetcher};
use url::Url;

/// The largest document read: 64 MiB, as for fetched descriptions.
pub const MAX_BYTES: usize = arazzo_model::load::MAX_DOCUMENT_BYTES;

/// The limit as people read it.
fn limit_text(limit: usize) -> String {
    if limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    }
}

/// Reads `path`, or standard input when `path` is `-`. Returns the display
/// name and the bytes, or a diagnostic that names the file: `too-large`
/// past [`MAX_BYTES`], else `io`.
pub fn read(path: &str) -> Result<(String, Vec<u8>), Diagnostic> {
    if path == "-" {
        return read_stdin().map(|b| ("<stdin>".to_string(), b));
    }
    read_file(path, MAX_BYTES).map(|b| (path.to_string(), b))
}

/// Reads standard input, at most [`MAX_BYTES`].
fn read_stdin() -> Result<Vec<u8>, Diagnostic> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Diagnostic::error(Code::Io, format!("cannot read standard input: {e}")))?;
    if buf.len() > MAX_BYTES {
        return Err(Diagnostic::error(
            Code::TooLarge,
            format!(
                "standard input is larger than the limit of {}",
                limit_text(MAX_BYTES)
            ),
        ));
    }
    Ok(buf)
}

/// Reads the regular file at `path`, at most `limit` bytes.
pub fn read_file(path: &str, limit: usize) -> Result<Vec<u8>, Diagnostic> {
    arazzo_openapi::fetch::read_local(std::path::Path::new(path), limit).map_err(|e| match e {
        FetchError::TooLarge { .. } => Diagnostic::error(
            Code::TooLarge,
            format!("`{path}` is larger than the limit of {}", limit_text(limit)),
        ),
        FetchError::File { reason, .. } if reason.contains("not a regular file") => {
            Diagnostic::error(Code::Io, format!("cannot read `{path}`: {reason}"))
                .hint("to read a pipe, give `-` and redirect it into standard input")
        }
        FetchError::File { reason, .. } => {
            Diagnostic::error(Code::Io, format!("cannot read `{path}`: {reason}"))
        }
        other => Diagnostic::error(Code::Io, other.to_string()),
    })
}

/// A document read for `validate`, `list` or `graph`.
pub struct Document {
    /// The name shown in diagnostics: the path, `<stdin>`, or the URL.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Where relative references resolve from: the file's or the fetched
    /// URL (after redirects); `None` for standard input.
    pub url: Option<Url>,
}

/// Reads `location`: `-` (standard input), an http(s) URL (fetched as `run`
/// fetches its document: bounded in time and size, redirects only within
/// the origin), or a path.
pub fn read_location(location: &str) -> Result<Document, Diagnostic> {
    if location.starts_with("http://") || location.starts_with("https://") {
        let url = Url::parse(location).map_err(|e| {
            Diagnostic::error(Code::Io, format!("`{location}` is not a valid URL: {e}"))
        })?;
        let fetched = DefaultFetcher::default()
            .fetch(&url, None)
            .map_err(|e| match e {
                FetchError::TooLarge { url, limit } => Diagnostic::error(
                    Code::TooLarge,
                    format!("{url} is larger than the limit of {}", limit_text(limit)),
                ),
                other => Diagnostic::error(Code::Io, other.to_string()),
            })?;
        return Ok(Document {
            name: url.to_string(),
            bytes: fetched.bytes,
            url: Some(fetched.url),
        });
    }
    let (name, bytes) = read(location)?;
    let url = (location != "-")
        .then(|| arazzo_openapi::fetch::parse_location(location))
        .flatten();
    Ok(Document { name, bytes, url })
}
