//! Running a request: compile the document, start the offline mock when
//! asked, run the engine while reporting progress, and collect the report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arazzo_engine::offline::Offline;
use arazzo_engine::plan::Plan;
use arazzo_engine::report::{Event, Reason, RunReport};
use arazzo_engine::{CompileOptions, Compiled, Engine, ReqwestTransport, TokioClock};
use arazzo_mock::Exchange;

use super::Stop;
use super::request::{Mock, RunRequest};

/// Something to show while a run is under way.
pub enum Progress<'a> {
    /// An event of the engine.
    Event(&'a Event),
    /// A request that does not match its description, as the mock saw it
    /// (also recorded in the report as a warning of the workflow): the
    /// workflow, the step and the warning.
    MockWarning(&'a str, &'a str, &'a str),
    /// Context from the mock that explains its answer (an example skipped,
    /// an expected value the schema forbids); not a problem.
    MockNote(&'a str),
}

/// What the mock said of one exchange: a violation (`true`) or a note.
type Finding = (bool, String);

/// The findings of the mock not yet attributed to a step.
type Findings = Arc<Mutex<Vec<Finding>>>;

/// Loads and compiles the document with the `--source` and `--server` flags.
pub fn compile(file: &str, options: &CompileOptions) -> Result<Compiled, Stop> {
    arazzo_engine::compile_location(file, options).map_err(|diagnostics| Stop::Invalid {
        diagnostics,
        runnable: Vec::new(),
    })
}

/// Runs the request, calling `progress` as things happen, and returns the
/// report with the synthesized inputs and the mock's warnings filled in, and
/// the plan it ran. When `stop` completes first (a signal), the request in
/// flight is cancelled and the report holds what ran until then, the
/// interrupted step and workflows failed with the reason `stop` gives.
pub async fn execute(
    request: RunRequest,
    headers: &[super::headers::ExtraHeader],
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
    stop: impl Future<Output = String> + Send,
) -> Result<(RunReport, Arc<Plan>), Stop> {
    let RunRequest {
        mut plan,
        workflows,
        synthesized,
        credentials,
        mock,
        options,
        http,
    } = request;
    let findings: Findings = Arc::default();
    let offline = match mock {
        Some(mock) => Some(start_mock(&mut plan, mock, findings.clone()).await?),
        None => None,
    };
    let transport = ReqwestTransport::new(&http)
        .map_err(|e| Stop::Usage(format!("cannot create the HTTP client: {e}")))?;
    let mut transport: Arc<dyn arazzo_engine::Transport> = Arc::new(transport);
    let with_headers = super::headers::WithHeaders::new(transport.clone(), headers, &plan);
    if !with_headers.is_empty() {
        transport = Arc::new(with_headers);
    }
    // One HTTP client: the engine sends through this transport only.
    let engine = Engine::with_parts(plan, transport, Arc::new(TokioClock::default()))
        .with_credentials(credentials)
        .with_options(options);
    let mut mock_warnings = Vec::new();
    let result = {
        let mut on_event = |e: Event| {
            if offline.is_some() {
                report_findings(&e, &findings, &mut mock_warnings, progress);
            }
            progress(Progress::Event(&e));
        };
        engine.run_all_until(workflows, &mut on_event, stop).await
    };
    if let Some(o) = offline {
        o.shutdown().await;
    }
    let mut report = result.map_err(|e| Stop::Usage(e.to_string()))?;
    record_synthesized(&mut report, &synthesized);
    record_mock_warnings(&mut report, &mock_warnings);
    Ok((report, engine.plan().clone()))
}

/// Starts a mock server for every OpenAPI description and points the plan
/// at them; what the mocks say of each exchange goes to `findings`.
async fn start_mock(
    plan: &mut arazzo_engine::plan::Plan,
    mock: Mock,
    findings: Findings,
) -> Result<Offline, Stop> {
    let hook: Arc<dyn Fn(&Exchange) + Send + Sync> = Arc::new(move |x: &Exchange| {
        if let Ok(mut v) = findings.lock() {
            for violation in &x.violations {
                v.push((true, format!("{} {}: {violation}", x.method, x.path)));
            }
            for note in &x.notes {
                v.push((false, format!("{} {}: {note}", x.method, x.path)));
            }
        }
    });
    Offline::start(plan, mock.strict, Some(hook))
        .await
        .map_err(|e| Stop::Usage(format!("cannot start a mock server: {e}")))
}

/// When a response arrives, attributes the mock's findings so far to its
/// step: violations become warnings of the workflow, notes are only shown.
fn report_findings(
    e: &Event,
    findings: &Findings,
    warnings: &mut Vec<(String, String)>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) {
    let Event::ResponseReceived {
        workflow_id,
        step_id,
        ..
    } = e
    else {
        return;
    };
    let drained: Vec<Finding> = findings
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    for (violation, v) in drained {
        if !violation {
            progress(Progress::MockNote(&format!("mock: step `{step_id}`: {v}")));
            continue;
        }
        let msg = format!("mock: step `{step_id}`: request does not match the description: {v}");
        progress(Progress::MockWarning(workflow_id, step_id, &msg));
        warnings.push((workflow_id.clone(), msg));
    }
}

/// Records, on each requested workflow, the inputs that were synthesized.
fn record_synthesized(report: &mut RunReport, synthesized: &HashMap<String, Vec<String>>) {
    for w in report.workflows.iter_mut() {
        if let Some(names) = synthesized.get(&w.workflow_id)
            && w.reason == Reason::Requested
        {
            w.synthesized_inputs = names.clone();
        }
    }
}

/// Adds the mock's warnings to the first execution of their workflow.
fn record_mock_warnings(report: &mut RunReport, warnings: &[(String, String)]) {
    for (wf, msg) in warnings {
        if let Some(w) = report.workflows.iter_mut().find(|w| &w.workflow_id == wf) {
            w.warnings.push(msg.clone());
        }
    }
}
