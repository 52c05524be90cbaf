//! The arguments of `arazzo-run run` and their parsing into typed values.
//!
//! Parsing stops at the first malformed flag, in the order the flags are
//! listed in [`Flags`], so the error a user sees does not depend on where the
//! flags stand on the command line.

use arazzo_engine::inputs::InputError;
use arazzo_engine::plan::{Plan, WorkflowPlan};
use arazzo_engine::{CompileOptions, Credentials};
use serde_json::{Map, Value};
use url::Url;

use super::Stop;

/// How `run` prints progress and results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// Live progress lines and a summary, for people (the default on a terminal).
    Pretty,
    /// One JSON report on standard output, for machines (see docs/report-schema.json).
    Json,
    /// TAP version 14 on standard output: a test point per requested workflow.
    Tap,
}

/// Arguments of `arazzo-run run`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  arazzo-run run pets.arazzo.yaml --input petId=42
  arazzo-run run pets.arazzo.yaml --workflow adopt --inputs inputs.yaml --server petstore=http://localhost:8080
  arazzo-run run pets.arazzo.yaml --mock                       # offline, against a generated mock
  arazzo-run run pets.arazzo.yaml --format json > report.json
  arazzo-run run flows/ 'more/**/*.arazzo.yaml' --junit junit.xml   # many documents

Exit codes: 0 every selected workflow succeeded, 1 a workflow failed,
            2 invalid document, invalid inputs or bad usage.")]
pub struct RunArgs {
    /// The Arazzo documents (YAML or JSON): paths, http(s) URLs, directories
    /// (every *.arazzo.yaml|yml|json directly inside, sorted) and glob
    /// patterns (`*`, `?`, `**`, expanded by arazzo-run itself). They run
    /// one after the other, each compiled on its own.
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<String>,

    /// The document being run (set per document; not a flag).
    #[arg(skip)]
    pub file: String,

    /// Run only this workflow (repeatable). Without it, every workflow runs in
    /// document order; workflows listed in `dependsOn` run first either way.
    #[arg(short, long = "workflow", value_name = "ID")]
    pub workflows: Vec<String>,

    /// An input value, NAME=VALUE (repeatable). Typed by the workflow's input
    /// schema: string inputs keep the text as is, others parse as JSON
    /// (`--input count=3`, `--input tags='["a","b"]'`).
    #[arg(short, long = "input", value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,

    /// A JSON or YAML file of inputs (an object); `-` reads standard input.
    /// `--input` values win over the file.
    #[arg(long = "inputs", value_name = "FILE")]
    pub inputs_file: Option<String>,

    /// Send a source description's requests to another server, SOURCE=URL
    /// (repeatable). OAuth2 token URLs on the described server's origin follow.
    #[arg(long = "server", value_name = "SOURCE=URL")]
    pub servers: Vec<String>,

    /// Load a source description from another path or URL, SOURCE=PATH (repeatable).
    #[arg(long = "source", value_name = "SOURCE=PATH")]
    pub sources: Vec<String>,

    /// A credential for a security scheme of the OpenAPI description
    /// (repeatable): SCHEME=VALUE for an API key, bearer or access token;
    /// SCHEME.username=… and SCHEME.password=… for HTTP Basic;
    /// SCHEME.client_id=… and SCHEME.client_secret=… (and optionally
    /// SCHEME.scope=…) for OAuth2 client credentials, where arazzo-run fetches
    /// and refreshes the token itself. Environment variables work too:
    /// ARAZZO_AUTH_<SCHEME>, ARAZZO_AUTH_<SCHEME>_CLIENT_ID, … (scheme name
    /// upper-cased, other characters as `_`).
    #[arg(long = "auth", value_name = "SCHEME=VALUE")]
    pub auth: Vec<String>,

    /// A header for every request, NAME=VALUE, or for the requests of one
    /// source description, SOURCE:NAME=VALUE (repeatable). A header of the
    /// same name the request already has (set by the document or a
    /// credential) wins. Values are masked in every output.
    #[arg(short = 'H', long = "header", value_name = "[SOURCE:]NAME=VALUE")]
    pub headers: Vec<String>,

    /// A dotenv file (KEY=VALUE lines) read as if its variables were in the
    /// environment, for ARAZZO_AUTH_* credentials and ARAZZO_INPUT_* inputs;
    /// the real environment wins over it.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Option<String>,

    /// Output format. Default: pretty.
    #[arg(long, value_enum, default_value_t = RunFormat::Pretty)]
    pub format: RunFormat,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,

    /// Also write a JUnit XML report (a test suite per workflow, a test case per step execution).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<String>,

    /// Also write every HTTP exchange of the run to this file as a HAR 1.2
    /// archive (for browser developer tools); bodies up to 4 KiB, secrets masked.
    #[arg(long, value_name = "FILE")]
    pub har: Option<String>,

    /// Show request and response headers (-v) and bodies too (-vv); secrets
    /// masked. Output values are shown whole (not cut at 200 characters).
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Show only failures: no lines for steps and workflows that succeeded,
    /// no warnings, no outputs; a failed step, its workflow and the failure
    /// summary are still shown. The exit code is unchanged.
    #[arg(short, long)]
    pub quiet: bool,

    /// Treat the document's warnings with this code as errors (repeatable),
    /// e.g. `--deny unknown-input`; the codes are in docs/diagnostics.md.
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,

    /// Silence the document's warnings with this code (repeatable); errors
    /// are never silenced.
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,

    /// Run offline: serve every OpenAPI source from a generated mock server on
    /// loopback, and synthesize required inputs that were not given.
    #[arg(long)]
    pub mock: bool,

    /// With --mock: answer requests that violate their operation with 400, so the step fails.
    #[arg(long, requires = "mock")]
    pub mock_strict: bool,

    /// Per-request timeout in seconds (a step's own `timeout` wins).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = seconds_arg)]
    pub timeout: f64,

    /// Time limit for the whole run, in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = seconds_arg)]
    pub run_timeout: Option<f64>,

    /// Most steps one run may execute (guards against goto loops).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_steps: u64,

    /// Longest wait before a retry, in seconds (a longer Retry-After is cut).
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0, value_parser = seconds_arg)]
    pub max_retry_delay: f64,

    /// Check each response against its operation's OpenAPI description
    /// (status declared, Content-Type declared, JSON body valid against the
    /// schema): `warn` shows problems as warnings, `error` fails the step,
    /// `off` checks nothing.
    #[arg(
        long,
        value_name = "MODE",
        default_value = "warn",
        value_parser = clap::builder::TypedValueParser::map(clap::builder::PossibleValuesParser::new(["off", "warn", "error"]),
            |m: String| match m.as_str() {
                "off" => arazzo_engine::CheckResponses::Off,
                "error" => arazzo_engine::CheckResponses::Error,
                _ => arazzo_engine::CheckResponses::Warn,
            })
    )]
    pub check_responses: arazzo_engine::CheckResponses,

    /// Accept invalid TLS certificates (only for test servers).
    #[arg(long)]
    pub insecure: bool,

    /// `--no-cache`.
    #[command(flatten)]
    pub cache: crate::cache::CacheArgs,
}

/// The `NAME=VALUE` flags of a run, parsed and typed.
#[derive(Clone)]
pub struct Flags {
    /// `--source` locations and `--server` overrides, for compiling the document.
    pub compile: CompileOptions,
    /// Credentials from `--auth` (the environment's are added once the
    /// document's security schemes are known).
    pub credentials: Credentials,
    /// The object of the `--inputs` file (empty without one).
    pub file_inputs: Map<String, Value>,
    /// `--input` values as written; each workflow's schema types them.
    pub raw_inputs: Vec<(String, String)>,
}

/// Parses the `NAME=VALUE` flags and reads the `--inputs` file.
pub fn parse(args: &RunArgs) -> Result<Flags, Stop> {
    let mut compile = CompileOptions {
        source_urls: parse_pairs("--source", &args.sources)?
            .into_iter()
            .collect(),
        disk_cache: args.cache.disk_cache(),
        ..CompileOptions::default()
    };
    compile.servers = parse_servers(&args.servers)?.into_iter().collect();
    Ok(Flags {
        compile,
        credentials: parse_auth(&args.auth)?,
        file_inputs: read_inputs_file(args.inputs_file.as_deref())?,
        raw_inputs: parse_pairs("--input", &args.inputs)?,
    })
}

/// Splits `NAME=VALUE` at the first `=`; the name must not be empty. A
/// malformed `--auth` or `--input` is not quoted: it may be a credential or
/// a password given without its name.
fn split_pair<'a>(flag: &str, s: &'a str) -> Result<(&'a str, &'a str), Stop> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| {
            let got = if matches!(flag, "--auth" | "--input") {
                match s.split_once('=') {
                    Some(_) => " (the NAME before `=` is empty)".to_string(),
                    None => " (there is no `=`)".to_string(),
                }
            } else {
                format!(", got `{s}`")
            };
            Stop::Usage(format!("{flag} expects NAME=VALUE{got}"))
        })
}

/// Parses every value of a repeatable `NAME=VALUE` flag.
fn parse_pairs(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, Stop> {
    values
        .iter()
        .map(|s| split_pair(flag, s).map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// The longest duration a flag takes: one year, in seconds.
const MAX_SECONDS: f64 = 365.0 * 24.0 * 60.0 * 60.0;

/// Parses a number of seconds: finite, not negative, at most a year. `nan`,
/// `inf` and numbers too large for a duration are usage errors (exit 2),
/// not a panic or a silently different limit.
fn seconds_arg(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!(
            "`{text}` is not a number of seconds (a finite number from 0 to {MAX_SECONDS})"
        ));
    }
    if secs > MAX_SECONDS {
        return Err(format!(
            "`{text}` seconds is longer than a year ({MAX_SECONDS} s), the longest limit"
        ));
    }
    Ok(secs)
}

/// Parses `--server SOURCE=URL` values; the URL must be http(s).
fn parse_servers(values: &[String]) -> Result<Vec<(String, Url)>, Stop> {
    values
        .iter()
        .map(|s| {
            let (k, v) = split_pair("--server", s)?;
            match Url::parse(v) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok((k.to_string(), u)),
                _ => Err(Stop::Usage(format!(
                    "--server {k}=…: `{v}` is not an http(s) URL"
                ))),
            }
        })
        .collect()
}

/// Parses `--auth SCHEME[.FIELD]=VALUE` values into credentials.
pub fn parse_auth(values: &[String]) -> Result<Credentials, Stop> {
    let mut credentials = Credentials::new();
    for a in values {
        let (k, v) = split_pair("--auth", a)?;
        credentials
            .set(k, v)
            .map_err(|e| Stop::Usage(format!("--auth {k}=…: {e}")))?;
    }
    Ok(credentials)
}

/// Reads the `--inputs` file: an object of inputs, or nothing (an empty file).
fn read_inputs_file(path: Option<&str>) -> Result<Map<String, Value>, Stop> {
    let Some(path) = path else {
        return Ok(Map::new());
    };
    let (name, bytes) = crate::input::read(path).map_err(|d| Stop::Usage(d.message))?;
    let loaded = arazzo_model::load::load(&name, &bytes).map_err(Stop::Unreadable)?;
    match loaded.value {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(Stop::Usage(format!(
            "{name}: the inputs file must hold an object of NAME: VALUE"
        ))),
    }
}

impl Flags {
    /// The input names given, `--input` flags first, each once.
    fn input_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let given = self
            .raw_inputs
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.file_inputs.keys().map(String::as_str));
        for name in given {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }
}

/// Checks the input names given against the inputs each selected workflow
/// declares. A name a workflow does not declare is an invalid input (exit 2)
/// when its schema allows no others (`additionalProperties: false`), with
/// the declared name it most resembles; otherwise it is passed on as given,
/// and the returned warnings name the declared input it resembles, if any
/// (a typo that would otherwise surface only as a missing or synthesized
/// input). Names another selected workflow declares are not warned about:
/// one `--inputs` file may serve several workflows.
pub fn check_input_names(
    flags: &Flags,
    plan: &Plan,
    workflows: &[String],
) -> Result<Vec<String>, Stop> {
    let given = flags.input_names();
    if given.is_empty() {
        return Ok(Vec::new());
    }
    let selected: Vec<&WorkflowPlan> = workflows
        .iter()
        .filter_map(|id| plan.workflow_index(id).and_then(|i| plan.workflow(i)))
        .collect();
    let declared_anywhere: Vec<String> = selected
        .iter()
        .flat_map(|w| w.inputs.properties())
        .map(|p| p.name)
        .collect();
    let mut invalid = Vec::new();
    let mut warnings = Vec::new();
    for wf in selected {
        let declared: Vec<String> = wf.inputs.properties().into_iter().map(|p| p.name).collect();
        let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
        let unknown = given.iter().filter(|n| !declared.contains(n));
        if closed(wf) {
            let errors: Vec<InputError> = unknown
                .map(|name| InputError {
                    path: format!("/{}", arazzo_expr::escape_token(name)),
                    message: format!(
                        "not an input of this workflow, whose schema allows no others{}; {}",
                        crate::suggest::did_you_mean(crate::suggest::closest(name, &declared)),
                        declared_list(&declared)
                    ),
                })
                .collect();
            if !errors.is_empty() {
                invalid.push((wf.id.clone(), errors));
            }
            continue;
        }
        for name in unknown.filter(|n| !declared_anywhere.iter().any(|d| d == *n)) {
            if let Some(close) = crate::suggest::closest_strict(name, &declared) {
                warnings.push(format!(
                    "workflow `{}` declares no input `{name}` (did you mean `{close}`?); it is passed on as given",
                    wf.id
                ));
            }
        }
    }
    if invalid.is_empty() {
        Ok(warnings)
    } else {
        Err(Stop::InvalidInputs(invalid))
    }
}

/// Whether `wf`'s inputs schema allows no inputs besides the `properties`
/// it declares: `additionalProperties: false` at its top level (after a
/// top-level `$ref` into `components.inputs`) without `patternProperties`.
/// Anything subtler is left to the schema's own validation.
fn closed(wf: &WorkflowPlan) -> bool {
    let Some(schema) = &wf.inputs.resolved else {
        return false;
    };
    schema.get("additionalProperties") == Some(&Value::Bool(false))
        && schema.get("patternProperties").is_none()
}

/// `the inputs are: a, b` (or how many), or that there are none.
fn declared_list(declared: &[&str]) -> String {
    if declared.is_empty() {
        "it declares no inputs".to_string()
    } else {
        crate::suggest::listing(declared, "inputs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_finite_non_negative_and_at_most_a_year() {
        assert_eq!(seconds_arg("2.5"), Ok(2.5));
        assert_eq!(seconds_arg("0"), Ok(0.0));
        assert_eq!(seconds_arg("31536000"), Ok(MAX_SECONDS));
        for bad in [
            "nan",
            "NaN",
            "inf",
            "-inf",
            "-1",
            "1e300",
            "18446744073709551616",
            "x",
            "",
        ] {
            assert!(seconds_arg(bad).is_err(), "{bad} was accepted");
        }
    }

    fn usage(r: Result<impl Sized, Stop>) -> String {
        match r {
            Err(Stop::Usage(m)) => m,
            _ => "no usage error".to_string(),
        }
    }

    #[test]
    fn pairs_split_at_the_first_equals_sign() {
        let pairs = parse_pairs("--input", &["a=b=c".to_string()]);
        assert!(matches!(pairs.as_deref(), Ok([(k, v)]) if k == "a" && v == "b=c"));
        assert_eq!(
            usage(parse_pairs("--input", &["=x".to_string()])),
            "--input expects NAME=VALUE (the NAME before `=` is empty)"
        );
        assert_eq!(
            usage(parse_pairs("--source", &["nope".to_string()])),
            "--source expects NAME=VALUE, got `nope`"
        );
    }

    /// A credential given without its scheme is not echoed.
    #[test]
    fn malformed_credentials_are_not_quoted() {
        let e = usage(parse_auth(&["sk-live_s3cret".to_string()]));
        assert_eq!(e, "--auth expects NAME=VALUE (there is no `=`)");
        let e = usage(parse_pairs("--input", &["hunter2-pw".to_string()]));
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn servers_must_be_http_urls() {
        assert_eq!(
            usage(parse_servers(&["api=ftp://x".to_string()])),
            "--server api=…: `ftp://x` is not an http(s) URL"
        );
        assert!(parse_servers(&["api=http://localhost:1".to_string()]).is_ok());
    }
}
