//! The Arazzo conformance suite: an engine-agnostic case format
//! ([`case`]), a loopback server that plays a case's scripted HTTP
//! exchanges ([`server`]), and the harness that runs cases against
//! arazzo-run's library API ([`harness`]); [`runner`] runs them against
//! other engines (arazzo-run's command line, Respect, Jentic). The cases live in
//! `conformance/cases/`; `docs/conformance.md` documents the format.

pub mod case;
pub mod harness;
pub mod runner;
pub mod server;

pub use case::{Case, LoadedCase, load_case, load_cases};
pub use harness::{Verdict, run_case};

/// The repository's `conformance/cases` directory.
pub fn cases_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/cases")
}
