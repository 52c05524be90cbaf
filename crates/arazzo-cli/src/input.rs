//! Reading input files (or standard input) into bytes.

use std::io::Read;

use arazzo_model::{Code, Diagnostic};

/// Reads `path`, or standard input when `path` is `-`. Returns the display
/// name and the bytes, or an `io` diagnostic that names the file.
pub fn read(path: &str) -> Result<(String, Vec<u8>), Diagnostic> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Diagnostic::error(Code::Io, format!("cannot read standard input: {e}")))?;
        return Ok(("<stdin>".to_string(), buf));
    }
    std::fs::read(path)
        .map(|b| (path.to_string(), b))
        .map_err(|e| {
            Diagnostic::error(Code::Io, format!("cannot read `{path}`: {}", io_reason(&e)))
        })
}

/// A short reason for an I/O error, without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    }
}
