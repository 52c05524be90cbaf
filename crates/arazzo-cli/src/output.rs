//! Output formats and colour decisions shared by the commands.

/// How a command prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: rendered diagnostics, progress lines, summaries.
    Human,
    /// For machines: one JSON document on standard output.
    Json,
}

/// Whether to emit colour on a stream: never when `NO_COLOR` is set (to any
/// non-empty value) or the stream is not a terminal; always when
/// `CLICOLOR_FORCE` is set.
pub fn color_enabled(is_terminal: bool) -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") {
        return true;
    }
    is_terminal
}
