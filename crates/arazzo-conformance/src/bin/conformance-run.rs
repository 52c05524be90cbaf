//! `conformance-run`: runs the conformance suite against an Arazzo engine —
//! arazzo-run's command line, Redocly Respect or Jentic's arazzo-runner — and
//! prints one line per case, then `N passed, M failed[, K skipped]`.
//!
//! See `docs/conformance.md` ("Running it against other engines").

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use arazzo_conformance::runner::{self, EngineKind, Options};
use clap::Parser;

/// Run the Arazzo conformance suite against an engine.
#[derive(Debug, Parser)]
#[command(name = "conformance-run", about, long_about = None)]
struct Args {
    /// The cases directory, or one case directory.
    #[arg(long, value_name = "DIR", default_value = "conformance/cases")]
    cases: PathBuf,

    /// The engine to run.
    #[arg(long, value_enum)]
    engine: EngineKind,

    /// Run only the cases whose name contains this.
    #[arg(long, value_name = "SUBSTR")]
    filter: Option<String>,

    /// Where engines are installed (npm and pip targets).
    #[arg(long, value_name = "DIR", default_value = "target/conformance-engines")]
    cache: PathBuf,

    /// Also write every verdict, with totals by category, to this JSON file.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,

    /// Time limit of one case in seconds, before the waits and response delays it scripts.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,

    /// How many cases run at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    jobs: usize,

    /// The arazzo-run binary (default: built with cargo in this workspace).
    #[arg(long = "arazzo-run", value_name = "PATH")]
    arazzo_run: Option<PathBuf>,

    /// arazzo-run only: pass --max-retry-delay SECONDS, to shorten real retry
    /// waits (the command line cannot report waits, so they are not compared).
    #[arg(long, value_name = "SECONDS")]
    max_retry_delay: Option<f64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Absolute: engines run in other working directories.
    let cache = std::path::absolute(&args.cache).unwrap_or(args.cache);
    let opts = Options {
        cases: args.cases,
        engine: args.engine,
        filter: args.filter,
        cache,
        report: args.report,
        timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
        jobs: args.jobs.max(1),
        arazzo_run: args.arazzo_run,
        max_retry_delay: args.max_retry_delay,
    };
    let cases = match runner::select_cases(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = match runner::engine(&opts) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {} cannot run: {e}", opts.engine.name());
            return ExitCode::from(2);
        }
    };
    let version = engine.version();
    eprintln!(
        "{} {version}: {} case(s) from {}",
        engine.name(),
        cases.len(),
        opts.cases.display()
    );
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout();
    let (summary, verdicts) =
        rt.block_on(runner::run_suite(engine.clone(), cases, &opts, &mut stdout));
    if let Some(path) = &opts.report {
        let json = runner::report_json(engine.name(), &version, &summary, &verdicts);
        if let Err(e) = runner::write_json(path, &json) {
            eprintln!("error: cannot write the report: {e}");
            return ExitCode::from(2);
        }
    }
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
