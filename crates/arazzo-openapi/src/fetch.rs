//! Fetching documents by URL: local files and http(s), with limits.
//!
//! Documents are untrusted input. The default fetcher bounds every remote
//! request by a timeout and a size cap, and a document that was itself
//! fetched over the network may not read local files (so a hostile remote
//! description cannot make the engine read `/etc/passwd` into a request).
//!
//! Local files are read only when they are regular files, at most
//! [`DefaultFetcher::max_bytes`] of them ([`read_local`]): a FIFO would block
//! the reader until some other process writes to it (forever, if none
//! does), and a device such as `/dev/zero` never ends.
//!
//! Remote fetches follow at most [`MAX_REDIRECTS`] redirects, and only to
//! the same origin (scheme, host and port) as the URL asked for: a
//! description that moved to another host is an error naming both URLs, not
//! a silent fetch from somewhere else. They send no `Referer` header, no
//! cookies and no credentials (arazzo-run's `--auth` values are for the
//! workflow's API calls only).

use std::io::Read;
use std::time::Duration;

use url::Url;

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL the bytes came from (after redirects).
    pub url: Url,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The `Content-Type` reported by an HTTP server, if any.
    pub content_type: Option<String>,
}

/// Why a document could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The file does not exist or cannot be read.
    #[error("cannot read {path}: {reason}")]
    File {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The HTTP request failed or returned an error status.
    #[error("cannot fetch {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The document is larger than the size cap.
    #[error("{url} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// The URL scheme is not supported, or not allowed from where it was referenced.
    #[error("{0}")]
    NotAllowed(String),
}

/// Something that can fetch documents. Embedders provide their own to load
/// descriptions from memory, a database or a cache.
pub trait Fetcher: Send + Sync {
    /// Fetches `url`. `from` is the URL of the document that refers to it
    /// (`None` for the document the user named).
    fn fetch(&self, url: &Url, from: Option<&Url>) -> Result<Fetched, FetchError>;
}

/// Fetches `file:` URLs from disk and `http(s):` URLs over the network.
#[derive(Debug, Clone)]
pub struct DefaultFetcher {
    /// Timeout of one remote request.
    pub timeout: Duration,
    /// Largest document accepted, in bytes.
    pub max_bytes: usize,
    /// Whether http(s) URLs may be fetched at all.
    pub allow_remote: bool,
}

impl Default for DefaultFetcher {
    fn default() -> Self {
        DefaultFetcher {
            timeout: Duration::from_secs(30),
            max_bytes: arazzo_model::load::MAX_DOCUMENT_BYTES,
            allow_remote: true,
        }
    }
}

/// How many redirects a remote fetch follows (each within the same origin).
pub const MAX_REDIRECTS: usize = 5;

/// Reads the local file at `path`, refusing anything but a regular file and
/// anything larger than `max` bytes.
///
/// FIFOs, sockets and devices are refused before they are opened (opening a
/// FIFO blocks until a writer comes; `/dev/zero` has no end), and the file
/// is checked again once open; at most `max + 1` bytes are ever read, so a
/// file that grows while it is read is refused too. A FIFO swapped in
/// between the check and the open could still block the open; only someone
/// who can write to the file's folder can do that.
pub fn read_local(path: &std::path::Path, max: usize) -> Result<Vec<u8>, FetchError> {
    let display = path.display().to_string();
    let fail = |reason: String| FetchError::File {
        path: display.clone(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(io_reason(&e)))?;
    if !meta.is_file() {
        return Err(fail(not_regular(&meta)));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(io_reason(&e)))?;
    let meta = file.metadata().map_err(|e| fail(io_reason(&e)))?;
    if !meta.is_file() {
        return Err(fail(not_regular(&meta)));
    }
    if meta.len() > max as u64 {
        return Err(FetchError::TooLarge {
            url: display,
            limit: max,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(max));
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(io_reason(&e)))?;
    if bytes.len() > max {
        return Err(FetchError::TooLarge {
            url: display,
            limit: max,
        });
    }
    Ok(bytes)
}

/// Why a path that is not a regular file is not read.
fn not_regular(meta: &std::fs::Metadata) -> String {
    let t = meta.file_type();
    let what = if t.is_dir() {
        return "it is a directory".into();
    } else {
        kind_of(t)
    };
    format!("it is {what}, not a regular file (only regular files are read)")
}

#[cfg(unix)]
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind_of(_: std::fs::FileType) -> &'static str {
    "not a file"
}

impl Fetcher for DefaultFetcher {
    fn fetch(&self, url: &Url, from: Option<&Url>) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "file" => {
                if let Some(from) = from
                    && from.scheme() != "file"
                {
                    return Err(FetchError::NotAllowed(format!(
                        "{from} was fetched over the network and may not read the local file {url}"
                    )));
                }
                self.file(url)
            }
            "http" | "https" => {
                if !self.allow_remote {
                    return Err(FetchError::NotAllowed(format!(
                        "remote loading is disabled; cannot fetch {url}"
                    )));
                }
                self.http(url)
            }
            other => Err(FetchError::NotAllowed(format!(
                "unsupported URL scheme `{other}` in {url}"
            ))),
        }
    }
}

impl DefaultFetcher {
    fn file(&self, url: &Url) -> Result<Fetched, FetchError> {
        let path = url.to_file_path().map_err(|()| FetchError::File {
            path: url.to_string(),
            reason: "not a local file path".into(),
        })?;
        let bytes = read_local(&path, self.max_bytes)?;
        Ok(Fetched {
            url: url.clone(),
            bytes,
            content_type: None,
        })
    }

    /// Fetches over HTTP with one client on one background runtime shared by
    /// every fetch of the process (started on first use), so this works the
    /// same whether or not the caller is itself inside an async runtime, and
    /// a compilation that fetches many documents reuses connections.
    #[cfg(feature = "http")]
    fn http(&self, url: &Url) -> Result<Fetched, FetchError> {
        remote::fetch(url, self.timeout, self.max_bytes)
    }

    /// Without the `http` feature, remote documents cannot be fetched.
    #[cfg(not(feature = "http"))]
    fn http(&self, url: &Url) -> Result<Fetched, FetchError> {
        Err(FetchError::NotAllowed(format!(
            "this build cannot fetch documents over http(s) (the `http` feature is off); cannot fetch {url}"
        )))
    }
}

/// Makes rustls on `ring` the process's TLS crypto provider, unless one is
/// installed already (an embedder's own choice wins). Every reqwest client
/// of arazzo-run is built after this: reqwest is compiled without a provider
/// of its own and would panic without one.
#[cfg(feature = "http")]
pub fn install_tls_provider() {
    // An error means a provider is installed already, which is what is wanted.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(feature = "http")]
mod remote {
    use std::sync::OnceLock;
    use std::time::Duration;

    use url::Url;

    use super::{FetchError, Fetched};

    /// The runtime and client every remote fetch shares.
    struct Shared {
        runtime: tokio::runtime::Runtime,
        client: reqwest::Client,
    }

    fn shared() -> Result<&'static Shared, String> {
        static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("arazzo-fetch")
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                super::install_tls_provider();
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::custom(same_origin))
                    .referer(false)
                    .build()
                    .map_err(|e| e.to_string())?;
                Ok(Shared { runtime, client })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The redirect policy: at most [`super::MAX_REDIRECTS`], each to the
    /// origin of the URL first asked for.
    fn same_origin(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
        let Some(first) = attempt.previous().first() else {
            return attempt.follow();
        };
        if first.origin() != attempt.url().origin() {
            let msg = format!(
                "it redirects to {}, another origin; descriptions are fetched only from the origin they are named by (use the new URL)",
                attempt.url()
            );
            return attempt.error(msg);
        }
        if attempt.previous().len() > super::MAX_REDIRECTS {
            let msg = format!("more than {} redirects", super::MAX_REDIRECTS);
            return attempt.error(msg);
        }
        attempt.follow()
    }

    /// An error with its causes (reqwest's own message for a refused
    /// redirect says only that following it failed).
    fn reason(e: &reqwest::Error) -> String {
        let mut out = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            let text = s.to_string();
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            source = s.source();
        }
        out
    }

    pub(super) fn fetch(url: &Url, timeout: Duration, max: usize) -> Result<Fetched, FetchError> {
        let err = |reason: String, url: &Url| FetchError::Http {
            url: url.to_string(),
            reason,
        };
        let shared = shared().map_err(|e| err(e, url))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let client = shared.client.clone();
        let url = url.clone();
        shared.runtime.spawn(async move {
            let _ = tx.send(get(&client, &url, timeout, max).await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(FetchError::Http {
                url: String::new(),
                reason: "the fetch task failed".into(),
            })
        })
    }

    async fn get(
        client: &reqwest::Client,
        url: &Url,
        timeout: Duration,
        max: usize,
    ) -> Result<Fetched, FetchError> {
        let err = |reason: String| FetchError::Http {
            url: url.to_string(),
            reason,
        };
        let mut resp = client
            .get(url.clone())
            .timeout(timeout)
            .header(
                "accept",
                "application/yaml, application/json;q=0.9, */*;q=0.5",
            )
            .send()
            .await
            .map_err(|e| err(reason(&e)))?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP status {}", resp.status())));
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit: max,
        };
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let final_url = resp.url().clone();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| err(e.to_string()))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > max {
                return Err(too_large());
            }
        }
        Ok(Fetched {
            url: final_url,
            bytes,
            content_type,
        })
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

/// The URL of a local path (made absolute against the current directory).
pub fn file_url(path: &std::path::Path) -> Option<Url> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    Url::from_file_path(normalize(&abs)).ok()
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Reads a user-supplied location: an http(s) or file URL, or a path.
pub fn parse_location(s: &str) -> Option<Url> {
    if s.starts_with("http://") || s.starts_with("https://") || s.starts_with("file:") {
        return Url::parse(s).ok();
    }
    file_url(std::path::Path::new(s))
}

/// Shows a URL as users wrote it: file URLs as paths relative to the current
/// directory when possible.
pub fn display_url(url: &Url) -> String {
    if url.scheme() == "file"
        && let Ok(path) = url.to_file_path()
    {
        if let Ok(cwd) = std::env::current_dir()
            && let Ok(rel) = path.strip_prefix(&cwd)
        {
            return rel.display().to_string();
        }
        return path.display().to_string();
    }
    url.to_string()
}
