//! `arazzo-run validate`: check documents and report every finding.

use std::io::Write;
use std::process::ExitCode;

use arazzo_model::{Diagnostic, diag};

use crate::exit;
use crate::output::{Format, color_enabled};
use crate::run::FlagHints;

/// Arguments of `arazzo-run validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Arazzo documents to check (YAML or JSON): paths, http(s) URLs, or `-`
    /// for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// Output format: `human` (the source line with a caret under each
    /// problem) or `json` (one object with every diagnostic).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Report warnings as errors (exit 2 when there are any).
    #[arg(long)]
    pub deny_warnings: bool,

    /// Report the warnings with this code as errors (repeatable), e.g.
    /// `--deny unknown-input`; the codes are in docs/diagnostics.md.
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,

    /// Silence the warnings with this code (repeatable); errors are never
    /// silenced.
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,

    /// Load a source description from another path or URL, SOURCE=PATH (repeatable).
    #[arg(long = "source", value_name = "SOURCE=PATH")]
    pub sources: Vec<String>,

    /// Check only the document itself: do not load source descriptions
    /// (no operation resolution; works offline for remote sources).
    #[arg(long)]
    pub no_sources: bool,

    /// `--no-cache`.
    #[command(flatten)]
    pub cache: crate::cache::CacheArgs,
}

/// The outcome of checking one file.
struct FileReport {
    file: String,
    diagnostics: Vec<Diagnostic>,
    /// `--deny-warnings`: a warning makes the file invalid.
    deny_warnings: bool,
}

impl FileReport {
    /// The verdict, the same in every format and for the exit code: no
    /// errors, and no warnings either under `--deny-warnings`.
    fn valid(&self) -> bool {
        let (errors, warnings) = diag::count(&self.diagnostics);
        errors == 0 && (warnings == 0 || !self.deny_warnings)
    }

    /// The verdict as printed after the file's name.
    fn verdict(&self) -> &'static str {
        let (errors, _) = diag::count(&self.diagnostics);
        match (self.valid(), errors) {
            (true, _) => "valid",
            (false, 0) => "invalid under --deny-warnings",
            (false, _) => "invalid",
        }
    }
}

/// Runs `arazzo-run validate`.
pub fn run(args: ValidateArgs) -> ExitCode {
    let policy = match crate::run::CodePolicy::parse(&args.deny, &args.allow) {
        Ok(p) => p,
        Err(msg) => return crate::output::usage_error(args.format, &msg),
    };
    let mut options = arazzo_engine::CompileOptions {
        disk_cache: args.cache.disk_cache(),
        ..Default::default()
    };
    for s in &args.sources {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                options.source_urls.insert(k.to_string(), v.to_string());
            }
            _ => {
                return crate::output::usage_error(
                    args.format,
                    &format!("--source expects SOURCE=PATH, got `{s}`"),
                );
            }
        }
    }
    let reports: Vec<FileReport> = args
        .files
        .iter()
        .map(|f| check_file(f, &options, args.no_sources, args.deny_warnings))
        .map(|mut r| {
            r.diagnostics = policy.apply(std::mem::take(&mut r.diagnostics));
            r
        })
        .collect();
    let failed = reports.iter().any(|r| !r.valid());
    let code = if failed { exit::INVALID } else { exit::SUCCESS };
    let written = match args.format {
        Format::Json => print_json(&reports, code),
        Format::Human => print_human(&reports),
    };
    if written.is_err() {
        return exit::code(exit::FAILURE);
    }
    exit::code(code)
}

/// Reads and checks one file or URL (its sources too, unless `no_sources`).
fn check_file(
    file: &str,
    options: &arazzo_engine::CompileOptions,
    no_sources: bool,
    deny_warnings: bool,
) -> FileReport {
    let doc = match crate::input::read_location(file) {
        Ok(x) => x,
        Err(d) => {
            return FileReport {
                file: file.to_string(),
                diagnostics: vec![d],
                deny_warnings,
            };
        }
    };
    let crate::input::Document { name, bytes, url } = doc;
    let mut diagnostics = match url {
        Some(url) if !no_sources => {
            match arazzo_engine::compile_bytes(&name, url, &bytes, options) {
                Ok(c) => c.diagnostics,
                Err(d) => d,
            }
        }
        _ => arazzo_model::check(&name, &bytes).1,
    };
    diag::sort(&mut diagnostics);
    FileReport {
        file: name,
        diagnostics,
        deny_warnings,
    }
}

/// Prints every diagnostic rendered, and a verdict per file, to standard error.
fn print_human(reports: &[FileReport]) -> std::io::Result<()> {
    let color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let mut err = anstream::stderr();
    let hints = FlagHints::default();
    let (mut total_errors, mut total_warnings) = (0, 0);
    for r in reports {
        for d in &r.diagnostics {
            writeln!(err, "{}\n", hints.diagnostic(d).render(color))?;
        }
        let (errors, warnings) = diag::count(&r.diagnostics);
        total_errors += errors;
        total_warnings += warnings;
        writeln!(
            err,
            "{}: {} ({})",
            r.file,
            r.verdict(),
            summary(errors, warnings)
        )?;
    }
    if reports.len() > 1 {
        writeln!(
            err,
            "{} files checked: {}",
            reports.len(),
            summary(total_errors, total_warnings)
        )?;
    }
    Ok(())
}

/// `N errors, M warnings`.
fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Prints one JSON object with every file's diagnostics to standard output:
/// `{"version", "ok", "exitCode", "files": [...]}`.
fn print_json(reports: &[FileReport], code: u8) -> std::io::Result<()> {
    let hints = FlagHints::default();
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let (errors, warnings) = diag::count(&r.diagnostics);
            serde_json::json!({
                "file": r.file,
                "valid": r.valid(),
                "errors": errors,
                "warnings": warnings,
                "diagnostics": r.diagnostics.iter().map(|d| hints.diagnostic(d).to_json()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = serde_json::json!({
        "version": crate::output::JSON_VERSION,
        "ok": code == exit::SUCCESS,
        "exitCode": code,
        "files": files,
    });
    crate::output::print_json(&out)
}
