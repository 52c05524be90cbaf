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

/// The version of the JSON documents the commands print (`"version"`): it
/// changes only when a field is removed or changes meaning.
pub const JSON_VERSION: u32 = 1;

/// The JSON document a command prints on standard output when it fails
/// before it has anything else to say (exit 2 and the like):
/// `{"version", "ok": false, "exitCode", "diagnostics": [...]}`, each
/// diagnostic in the shape `validate --format json` uses
/// ([`arazzo_model::Diagnostic::to_json`], or [`message`] for a problem
/// with no place in a document). See `docs/cli.md#json-on-failure`.
pub fn failure(exit_code: u8, diagnostics: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "version": JSON_VERSION,
        "ok": false,
        "exitCode": exit_code,
        "diagnostics": diagnostics,
    })
}

/// A diagnostic of the command line rather than of a document (`code` is
/// `usage` for bad usage): the fields of a document diagnostic, with no
/// place.
pub fn message(code: &str, message: &str, hint: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "code": code,
        "severity": "error",
        "message": message,
        "file": null,
        "line": null,
        "column": null,
        "hint": hint,
        "notes": [],
    })
}

/// Prints one JSON document (pretty, with a final newline) on standard output.
pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    stdout.flush()
}

/// Reports a usage error: `error: MESSAGE` on standard error and, when
/// `format` is JSON, the failure document on standard output. Exit 2.
pub fn usage_error(format: Format, msg: &str) -> std::process::ExitCode {
    eprintln!("error: {msg}");
    if format == Format::Json {
        let _ = print_json(&failure(
            crate::exit::INVALID,
            vec![message("usage", msg, None)],
        ));
    }
    crate::exit::code(crate::exit::INVALID)
}

/// Reports diagnostics that stop a command: rendered on standard error
/// and, when `format` is JSON, in the failure document on standard
/// output. Exit 2.
pub fn diagnostics_error(
    format: Format,
    diags: &[arazzo_model::Diagnostic],
) -> std::process::ExitCode {
    use std::io::Write;
    let color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let mut err = anstream::stderr();
    for d in diags {
        let _ = writeln!(err, "{}\n", d.render(color));
    }
    if format == Format::Json {
        let _ = print_json(&failure(
            crate::exit::INVALID,
            diags
                .iter()
                .map(arazzo_model::Diagnostic::to_json)
                .collect(),
        ));
    }
    crate::exit::code(crate::exit::INVALID)
}

/// Whether raw arguments ask for JSON (`--format json` or `--format=json`,
/// before a `--`): used to answer errors found before or while the
/// arguments are parsed in the format that was asked for.
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    let mut it = args.iter().map(|a| a.to_str());
    while let Some(a) = it.next() {
        match a {
            Some("--") => return false,
            Some("--format") if it.next().flatten() == Some("json") => return true,
            Some("--format=json") => return true,
            _ => {}
        }
    }
    false
}
