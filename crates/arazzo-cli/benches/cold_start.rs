//! Whole-process cold runs of the real `arazzo-run` binary: each sample
//! starts a new process, which loads and compiles its documents and exits.
//!
//! - `version`: `arazzo-run --version`, the floor (process start and exit);
//! - `flagship_no_cache`: the flagship workflow against a Pipedream Connect
//!   simulator started in this process (`--server pipedreamApi=…`, OAuth
//!   client credentials, so four requests: the token and the three steps),
//!   with `--no-cache`;
//! - `flagship_warm_cache`: the same with `ARAZZO_CACHE_DIR` pointing at a
//!   description cache warmed by one run first; skipped, with a note, when
//!   the binary has no `--no-cache` flag (no description cache);
//! - `validate_openai_no_cache`, `validate_openai_warm_cache`:
//!   `arazzo-run validate` of a corpus workflow whose source is the 2.8 MB
//!   OpenAI description, without and with a warm description cache (skipped
//!   when `../shared/corpus` is absent).
//!
//! Under `cargo bench` a table follows criterion's output: the median wall
//! time of 11 runs of each case and the peak RSS of one (GNU time's `%M`).
//!
//! ```text
//! cargo bench -p arazzo-cli --bench cold_start
//! ```
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use pipedream_sim::{SimConfig, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_arazzo-run");

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// One way of running the binary.
struct Case {
    name: &'static str,
    args: Vec<String>,
    /// The description cache directory the process is given.
    cache_dir: PathBuf,
}

impl Case {
    /// The command, with a clean environment: nothing of the caller's
    /// `ARAZZO_*` settings, and a cache directory of the bench's own.
    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        self.prepare(&mut command);
        command
    }

    fn prepare(&self, command: &mut Command) {
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("NO_COLOR", "1")
            .env("ARAZZO_CACHE_DIR", &self.cache_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
    }

    fn run(&self) {
        let output = self
            .command()
            .output()
            .unwrap_or_else(|e| panic!("{BIN} starts: {e}"));
        assert!(
            output.status.success(),
            "{} exits 0, not {}: {}",
            self.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Peak resident set size of one run, in KiB, measured by GNU time.
    fn peak_rss_kib(&self, scratch: &Path) -> Option<u64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            return None;
        }
        let report = scratch.join(format!("{}.rss", self.name));
        let mut command = Command::new(time);
        command.arg("-f").arg("%M").arg("-o").arg(&report).arg(BIN);
        self.prepare(&mut command);
        let status = command.status().ok()?;
        if !status.success() {
            return None;
        }
        let text = std::fs::read_to_string(&report).ok()?;
        text.lines().last()?.trim().parse().ok()
    }
}

/// Whether `arazzo-run SUBCOMMAND --help` lists `flag`.
fn supports(subcommand: &str, flag: &str) -> bool {
    Command::new(BIN)
        .args([subcommand, "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(flag))
        .unwrap_or(false)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let table = std::env::args().any(|a| a == "--bench");
    let scratch = std::env::temp_dir().join(format!("arazzo-bench-cold-{}", std::process::id()));
    let cold_dir = scratch.join("cold-cache");
    let warm_dir = scratch.join("warm-cache");
    std::fs::create_dir_all(&cold_dir).expect("the scratch directory is created");
    std::fs::create_dir_all(&warm_dir).expect("the scratch directory is created");

    // The simulator, on a runtime of its own that lives as long as the bench.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("the simulator's runtime starts");
    let sim = runtime
        .block_on(Simulator::start(SimConfig::default()))
        .expect("the simulator starts");
    let cfg = sim.config().clone();

    let cache_flag = supports("run", "--no-cache");
    let flagship = |no_cache: bool| {
        let mut args: Vec<String> = vec![
            "run".into(),
            repo("specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml")
                .display()
                .to_string(),
            "--inputs".into(),
            repo("specs/pipedream/inputs.example.yaml")
                .display()
                .to_string(),
            "--input".into(),
            format!("projectId={}", cfg.project_id),
            "--server".into(),
            format!("pipedreamApi={}", sim.base_url()),
            "--auth".into(),
            format!("OAuth2.client_id={}", cfg.client_id),
            "--auth".into(),
            format!("OAuth2.client_secret={}", cfg.client_secret),
            "--quiet".into(),
        ];
        if no_cache && cache_flag {
            args.push("--no-cache".into());
        }
        args
    };

    let mut cases = vec![
        Case {
            name: "version",
            args: vec!["--version".into()],
            cache_dir: cold_dir.clone(),
        },
        Case {
            name: "flagship_no_cache",
            args: flagship(true),
            cache_dir: cold_dir.clone(),
        },
    ];
    let mut notes = Vec::new();
    if cache_flag {
        cases.push(Case {
            name: "flagship_warm_cache",
            args: flagship(false),
            cache_dir: warm_dir.clone(),
        });
    } else {
        notes.push(
            "flagship_warm_cache skipped: this arazzo-run has no `--no-cache` flag (no description cache yet); flagship_no_cache ran without the flag"
                .to_string(),
        );
    }
    let openai = repo(
        "../shared/corpus/api-evangelist-openai/arazzo/openai-list-models-then-chat-workflow.yml",
    );
    if openai.exists() {
        let args = vec!["validate".to_string(), openai.display().to_string()];
        if supports("validate", "--no-cache") {
            let mut uncached = args.clone();
            uncached.push("--no-cache".into());
            cases.push(Case {
                name: "validate_openai_no_cache",
                args: uncached,
                cache_dir: cold_dir.clone(),
            });
            cases.push(Case {
                name: "validate_openai_warm_cache",
                args,
                cache_dir: warm_dir.clone(),
            });
        } else {
            notes.push(
                "validate_openai_warm_cache skipped: this arazzo-run's validate has no `--no-cache` flag"
                    .to_string(),
            );
            cases.push(Case {
                name: "validate_openai_no_cache",
                args,
                cache_dir: cold_dir.clone(),
            });
        }
    } else {
        notes.push(format!(
            "validate_openai skipped: {} is absent",
            openai.display()
        ));
    }

    // Each case once before measuring: it works, and the warm cache is filled.
    for case in &cases {
        case.run();
    }

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("cold_start");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .sampling_mode(SamplingMode::Flat);
        for case in &cases {
            group.bench_function(case.name, |b| b.iter(|| case.run()));
        }
        group.finish();
    }
    c.final_summary();

    if table {
        println!();
        println!("cold_start: median wall time of 11 runs, peak RSS of one run");
        println!("| Case | Wall time (median) | Peak RSS |");
        println!("|---|---|---|");
        for case in &cases {
            let times: Vec<Duration> = (0..11)
                .map(|_| {
                    let start = Instant::now();
                    case.run();
                    start.elapsed()
                })
                .collect();
            let rss = case.peak_rss_kib(&scratch).map_or("n/a".to_string(), |k| {
                format!("{:.1} MiB", k as f64 / 1024.0)
            });
            println!(
                "| {} | {:.1} ms | {rss} |",
                case.name,
                median(times).as_secs_f64() * 1e3
            );
        }
    }
    for note in &notes {
        println!("note: {note}");
    }
    runtime.block_on(sim.shutdown());
    let _ = std::fs::remove_dir_all(&scratch);
}
