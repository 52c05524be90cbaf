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

/// The failure document (see [`failure`]) for a run that stopped before its
/// workflows ran: the document's diagnostics, each missing or rejected
/// input, or the usage problem. `runnable` is added when a document's
/// errors leave workflows that `--workflow` can still run.
///
/// `run/` prints it through its masking output edge when `--format json`
/// is asked for (`run::run_async`).
pub fn stop_document(stop: &crate::run::Stop) -> serde_json::Value {
    use crate::run::{FlagHints, Stop};
    let (code, diagnostics): (u8, Vec<serde_json::Value>) = match stop {
        Stop::Usage(msg) => (crate::exit::INVALID, vec![message("usage", msg, None)]),
        Stop::Unreadable(d) => (crate::exit::INVALID, vec![d.to_json()]),
        Stop::Invalid { diagnostics, .. } => {
            let hints = FlagHints::default();
            let d = diagnostics
                .iter()
                .map(|d| hints.diagnostic(d).to_json())
                .collect();
            (crate::exit::INVALID, d)
        }
        Stop::MissingInputs(missing) => {
            let hint = "supply it with --input NAME=VALUE or --inputs FILE (or run with --mock to synthesize it)";
            let d = missing
                .iter()
                .flat_map(|(wf, inputs)| {
                    inputs.iter().map(move |i| {
                        let ty =
                            i.ty.as_deref()
                                .map(|t| format!(" ({t})"))
                                .unwrap_or_default();
                        message(
                            "missing-input",
                            &format!("workflow `{wf}` is missing required input `{}`{ty}", i.name),
                            Some(hint),
                        )
                    })
                })
                .collect();
            (crate::exit::INVALID, d)
        }
        Stop::InvalidInputs(invalid) => {
            let hint = "fix it in --input NAME=VALUE or --inputs FILE (`arazzo-run list` shows each input's type)";
            let d = invalid
                .iter()
                .flat_map(|(wf, errors)| {
                    errors.iter().map(move |e| {
                        message(
                            "invalid-input",
                            &format!("workflow `{wf}` has an invalid input: {e}"),
                            Some(hint),
                        )
                    })
                })
                .collect();
            (crate::exit::INVALID, d)
        }
        Stop::Failure(msg) => (crate::exit::FAILURE, vec![message("failure", msg, None)]),
    };
    let mut doc = failure(code, diagnostics);
    if let Stop::Invalid { runnable, .. } = stop
        && !runnable.is_empty()
        && let Some(obj) = doc.as_object_mut()
    {
        obj.insert("runnable".into(), runnable.clone().into());
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Stop;

    #[test]
    fn every_stop_is_one_failure_document() {
        let info = arazzo_engine::inputs::InputInfo {
            name: "petId".into(),
            required: true,
            description: None,
            ty: Some("string".into()),
            default: None,
            secret: false,
        };
        let stops = [
            Stop::Usage("there is no workflow `adpot`".into()),
            Stop::MissingInputs(vec![("adopt".into(), vec![info])]),
            Stop::Invalid {
                diagnostics: vec![arazzo_model::Diagnostic::error(
                    arazzo_model::Code::SourceLoad,
                    "source `pets` could not be loaded",
                )],
                runnable: vec!["other".into()],
            },
            Stop::Failure("cannot write the report".into()),
        ];
        for stop in &stops {
            let v = stop_document(stop);
            assert_eq!(v["ok"], false, "{v}");
            let code = v["exitCode"].as_u64().unwrap_or_default();
            let expected = if matches!(stop, Stop::Failure(_)) {
                1
            } else {
                2
            };
            assert_eq!(code, expected, "{v}");
            assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(1), "{v}");
            assert!(v["diagnostics"][0]["message"].is_string(), "{v}");
        }
        assert_eq!(stop_document(&stops[2])["runnable"][0], "other");
        let missing = stop_document(&stops[1]);
        assert!(
            missing["diagnostics"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("`petId` (string)")),
            "{missing}"
        );
    }

    #[test]
    fn json_is_asked_for_before_a_double_dash_only() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert!(wants_json(&args(&["x", "run", "f", "--format", "json"])));
        assert!(wants_json(&args(&["x", "list", "--format=json", "f"])));
        assert!(!wants_json(&args(&["x", "run", "f", "--format", "pretty"])));
        assert!(!wants_json(&args(&["x", "eval", "--", "--format", "json"])));
    }
}
