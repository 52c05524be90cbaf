//! What to run: the workflows a user asked for, each with its typed inputs,
//! the credentials, the options — decided from the arguments, the
//! environment and the compiled document, before anything is sent.
//!
//! The error-scoping policy lives here: a document with errors still runs
//! the named workflows its errors do not reach
//! (docs/semantics.md#errors-and-workflows).

use std::collections::HashMap;
use std::time::Duration;

use arazzo_engine::inputs::{InputError, coerce_text};
use arazzo_engine::plan::{Plan, WorkflowPlan};
use arazzo_engine::{Compiled, Credentials, HttpOptions, RunOptions, Secrets};
use arazzo_model::Diagnostic;
use serde_json::{Map, Value};

use super::Stop;
use super::args::{Flags, RunArgs};

/// A compiled document whose errors, if any, do not reach the selected workflows.
pub struct Scoped {
    /// The plan to run.
    pub plan: Plan,
    /// The workflows to run, in order.
    pub workflows: Vec<String>,
    /// Errors in workflows that are not run.
    pub unreached_errors: usize,
    /// The document's warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Everything a run needs, decided: what the engine runs and how.
pub struct RunRequest {
    /// The plan, pointed at `--server` overrides.
    pub plan: Plan,
    /// The workflows to run, in order, each with its inputs.
    pub workflows: Vec<(String, Map<String, Value>)>,
    /// Per workflow, the inputs that were synthesized (offline runs only).
    pub synthesized: HashMap<String, Vec<String>>,
    /// Credentials from `--auth` and the environment.
    pub credentials: Credentials,
    /// Whether to run offline against generated mocks, and how strictly.
    pub mock: Option<Mock>,
    /// Timeouts and limits of the run.
    pub options: RunOptions,
    /// How the HTTP client connects.
    pub http: HttpOptions,
}

/// An offline run against generated mock servers.
#[derive(Debug, Clone, Copy)]
pub struct Mock {
    /// Answer requests that violate their operation with 400.
    pub strict: bool,
}

/// Selects the workflows to run and applies the error-scoping policy: errors
/// stop the run unless every one of them lies in a workflow that the named
/// workflows do not reach.
pub fn scope(compiled: Compiled, named: &[String]) -> Result<Scoped, Stop> {
    let workflows = if named.is_empty() {
        root_workflows(&compiled.plan)
    } else {
        check_named(&compiled, named)?;
        named.to_vec()
    };
    let mut unreached_errors = 0;
    if compiled.has_errors() {
        let blocked = named.is_empty()
            || workflows
                .iter()
                .any(|w| !compiled.errors_blocking(w).is_empty());
        if blocked {
            return Err(invalid(compiled));
        }
        unreached_errors = compiled.diagnostics.iter().filter(|d| d.is_error()).count();
    }
    let warnings = compiled
        .diagnostics
        .into_iter()
        .filter(|d| !d.is_error())
        .collect();
    Ok(Scoped {
        plan: compiled.plan,
        workflows,
        unreached_errors,
        warnings,
    })
}

/// The ids of the workflows that run when none is named.
fn root_workflows(plan: &Plan) -> Vec<String> {
    plan.root_workflows().map(|(_, w)| w.id.clone()).collect()
}

/// Checks that every named workflow exists; an unknown one in a document
/// with errors shows the errors (they may be why it is missing).
fn check_named(compiled: &Compiled, named: &[String]) -> Result<(), Stop> {
    let Some(unknown) = named
        .iter()
        .find(|w| compiled.plan.workflow_index(w).is_none())
    else {
        return Ok(());
    };
    if compiled.has_errors() {
        return Err(Stop::Invalid {
            diagnostics: compiled.diagnostics.clone(),
            runnable: Vec::new(),
        });
    }
    let ids = root_workflows(&compiled.plan);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    Err(Stop::Usage(format!(
        "there is no workflow `{unknown}`{}; {}",
        crate::suggest::did_you_mean(crate::suggest::closest(unknown, &ids)),
        crate::suggest::listing(&ids, "workflows")
    )))
}

/// The document is invalid for this run; the workflows its errors do not
/// reach can still run with `--workflow`.
fn invalid(compiled: Compiled) -> Stop {
    let runnable = compiled
        .plan
        .root_workflows()
        .filter(|(_, w)| compiled.errors_blocking(&w.id).is_empty())
        .map(|(_, w)| w.id.clone())
        .collect();
    Stop::Invalid {
        diagnostics: compiled.diagnostics,
        runnable,
    }
}

/// Builds the request: typed inputs per workflow, credentials from the flags
/// and `env`, and the options of the run.
pub fn build(
    args: &RunArgs,
    flags: Flags,
    scoped: Scoped,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RunRequest, Stop> {
    let mock = args.mock.then_some(Mock {
        strict: args.mock_strict,
    });
    // The credentials share the output edge's set (see `run_stages`): the
    // environment's credentials and the secret inputs join it here.
    let credentials = with_env_credentials(flags.credentials.clone(), &scoped.plan, env)?;
    let mut secrets = credentials.secrets();
    let (workflows, synthesized) =
        workflow_inputs(&scoped, &flags, mock.is_some(), &mut secrets, env)?;
    Ok(RunRequest {
        plan: scoped.plan,
        workflows,
        synthesized,
        credentials,
        mock,
        options: run_options(args),
        http: HttpOptions {
            insecure: args.insecure,
            ..HttpOptions::default()
        },
    })
}

/// The workflows with their inputs and the names synthesized for each.
type WorkflowInputs = (
    Vec<(String, Map<String, Value>)>,
    HashMap<String, Vec<String>>,
);

/// The inputs of each selected workflow, typed by its schema; the values of
/// secret inputs are added to `secrets`. Offline, the missing ones are
/// synthesized; otherwise a missing required input stops the run (after
/// every workflow has been checked). Then inputs the schema rejects stop
/// it — offline, those the user gave.
fn workflow_inputs(
    scoped: &Scoped,
    flags: &Flags,
    mock: bool,
    secrets: &mut Secrets,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<WorkflowInputs, Stop> {
    let plan = &scoped.plan;
    let mut requests = Vec::new();
    let mut synthesized = HashMap::new();
    let mut missing = Vec::new();
    let mut invalid = Vec::new();
    for id in &scoped.workflows {
        let Some(wi) = plan.workflow_index(id) else {
            continue;
        };
        let Some(wf) = plan.workflow(wi) else {
            continue;
        };
        let mut inputs = typed_inputs(wf, flags, env);
        for v in wf.inputs.secret_values(&inputs) {
            secrets.add_value(v);
        }
        let given: Vec<String> = inputs.keys().cloned().collect();
        if mock {
            let (filled, names) = arazzo_engine::offline::inputs_for(plan, wi, &inputs);
            inputs = filled;
            if !names.is_empty() {
                synthesized.insert(id.clone(), names);
            }
        } else {
            let absent = wf.inputs.missing(&inputs);
            if !absent.is_empty() {
                missing.push((id.clone(), absent));
            }
        }
        if let Err(errors) = wf.inputs.prepare(&inputs) {
            let errors: Vec<InputError> = errors
                .into_iter()
                .filter(|e| !mock || names_given(&e.path, &given))
                .collect();
            if !errors.is_empty() {
                invalid.push((id.clone(), errors));
            }
        }
        requests.push((id.clone(), inputs));
    }
    if !missing.is_empty() {
        return Err(Stop::MissingInputs(missing));
    }
    if !invalid.is_empty() {
        return Err(Stop::InvalidInputs(invalid));
    }
    Ok((requests, synthesized))
}

/// Whether the JSON pointer `path` into the inputs lies inside an input
/// that was `given` (rather than synthesized).
fn names_given(path: &str, given: &[String]) -> bool {
    let first = path
        .strip_prefix('/')
        .and_then(|p| p.split('/').next())
        .unwrap_or_default();
    given.iter().any(|g| arazzo_expr::escape_token(g) == first)
}

/// The `--inputs` file's values with the `--input` values over them, each
/// typed by workflow `wi`'s input schema; a declared input neither gives is
/// read from `ARAZZO_INPUT_<NAME>` in `env` (the name upper-cased, every
/// other character `_`, as for `ARAZZO_AUTH_*`), typed the same way.
fn typed_inputs(
    wf: &WorkflowPlan,
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
) -> Map<String, Value> {
    let props = wf.inputs.properties();
    let mut inputs = flags.file_inputs.clone();
    for p in &props {
        if inputs.contains_key(&p.name) || flags.raw_inputs.iter().any(|(k, _)| k == &p.name) {
            continue;
        }
        if let Some(v) = env(&input_env_name(&p.name)) {
            inputs.insert(p.name.clone(), coerce_text(&v, p.ty.as_deref()));
        }
    }
    for (k, v) in &flags.raw_inputs {
        let ty = props
            .iter()
            .find(|p| &p.name == k)
            .and_then(|p| p.ty.clone());
        inputs.insert(k.clone(), coerce_text(v, ty.as_deref()));
    }
    inputs
}

/// The environment variable an input is read from: `ARAZZO_INPUT_` and the
/// name upper-cased, every character but a letter or digit as `_`
/// (`petId` → `ARAZZO_INPUT_PETID`).
pub fn input_env_name(name: &str) -> String {
    let auth = arazzo_engine::env_name(name);
    let bare = auth.strip_prefix("ARAZZO_AUTH_").unwrap_or(&auth);
    format!("ARAZZO_INPUT_{bare}")
}

/// Adds credentials from the environment for every scheme the plan knows;
/// a half-given client or user credential stops the run.
fn with_env_credentials(
    mut credentials: Credentials,
    plan: &Plan,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, Stop> {
    let schemes: Vec<&str> = plan
        .apis
        .iter()
        .flat_map(|a| a.schemes.keys().map(String::as_str))
        .collect();
    // A credential for a scheme no source defines would be silently unused:
    // most likely a typo, and the run would go out unauthenticated.
    if let Some(unknown) = credentials
        .scheme_names()
        .into_iter()
        .find(|n| !schemes.contains(n))
    {
        let mut known: Vec<&str> = schemes.clone();
        known.sort_unstable();
        known.dedup();
        let close = crate::suggest::did_you_mean(crate::suggest::closest(unknown, &known));
        let known = if known.is_empty() {
            "the sources define no security schemes".to_string()
        } else {
            format!("the sources define {}", known.join(", "))
        };
        return Err(Stop::Usage(format!(
            "--auth {unknown}=…: no security scheme is named `{unknown}`{close}; {known}"
        )));
    }
    credentials.add_env(schemes, env);
    if let Some(s) = credentials.incomplete().first() {
        return Err(Stop::Usage(format!(
            "--auth {s}.…: incomplete credential; give both client_id and client_secret, or username and password"
        )));
    }
    Ok(credentials)
}

/// Timeouts and limits from the flags; offline runs prefer the expected
/// status and do not warn about missing credentials.
fn run_options(args: &RunArgs) -> RunOptions {
    RunOptions {
        request_timeout: seconds(args.timeout, 0.001),
        run_timeout: args.run_timeout.map(|s| seconds(s, 0.001)),
        max_steps: args.max_steps,
        max_retry_delay: seconds(args.max_retry_delay, 0.0),
        prefer_expected_status: args.mock,
        warn_missing_credentials: !args.mock,
        check_responses: args.check_responses,
        ..RunOptions::default()
    }
}

/// The longest duration a flag sets: a year stands for "no limit" without
/// overflowing the clocks it is added to.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// `secs` seconds, at least `min` and at most [`LONGEST`] (so `inf` and huge
/// values mean "no limit" rather than a panic).
fn seconds(secs: f64, min: f64) -> Duration {
    Duration::try_from_secs_f64(secs.max(min))
        .unwrap_or(LONGEST)
        .min(LONGEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_clamped_not_panicking() {
        assert_eq!(seconds(-1.0, 0.001), Duration::from_millis(1));
        assert_eq!(seconds(2.5, 0.0), Duration::from_millis(2500));
        assert_eq!(seconds(f64::INFINITY, 0.0), LONGEST);
        assert_eq!(seconds(1e300, 0.0), LONGEST);
        assert_eq!(seconds(f64::NAN, 0.0), Duration::ZERO);
    }
}
