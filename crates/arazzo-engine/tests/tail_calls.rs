//! Goto to a workflow is a tail call: the execution that makes the goto
//! leaves the stack and its target takes its place, so a workflow that
//! restarts itself a hundred thousand times runs on a small stack with one
//! frame, and ends exactly as a chain of nested executions would have —
//! each execution that made a goto ends as its target ended, with its own
//! outputs, the error said once, and its caller resumed.
//!
//! Scripted like `scripted.rs`: no network, no runtime; each test answers
//! the run's requests itself.

use std::sync::Arc;

use arazzo_engine::report::{Event, Reason};
use arazzo_engine::{
    Command, CompileOptions, Credentials, FailureKind, HttpResponse, Plan, Run, RunOptions,
    RunState, Status,
};
use serde_json::{Map, Value, json};

const OPENAPI: &str = r#"
openapi: 3.1.0
info: {title: Loop, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /ping:
    get:
      operationId: ping
      parameters: [{name: n, in: query, schema: {type: integer}}]
      responses: {"200": {description: ok}}
  /fail:
    get:
      operationId: fail
      responses: {"500": {description: no}}
"#;

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Compiles `arazzo` (with the ping API beside it), written to a fresh folder.
fn plan(arazzo: &str) -> Arc<Plan> {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-tail-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).expect("write");
    std::fs::write(dir.join("flow.arazzo.yaml"), arazzo).expect("write");
    let location = dir.join("flow.arazzo.yaml").display().to_string();
    let compiled = arazzo_engine::compile_location(&location, &CompileOptions::default())
        .expect("the documents load");
    let errors: Vec<&String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| &d.message)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let _ = std::fs::remove_dir_all(&dir);
    Arc::new(compiled.plan)
}

fn json_response(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn start(plan: &Arc<Plan>, workflow: &str, opts: RunOptions) -> Run {
    Run::new(
        plan.clone(),
        Arc::new(Credentials::new()),
        opts,
        vec![(workflow.to_string(), Map::new())],
    )
    .expect("starts")
}

/// The most frames a run had on its stack, as its saved state shows them.
fn frames(run: &Run) -> usize {
    let state = serde_json::to_value(run.state()).expect("serializes");
    state["frames"].as_array().map_or(0, Vec::len)
}

/// Serves the run until it finishes: `answer` gets the request number (from
/// 1) and the URL. Events are taken as they come and handed to `seen`.
fn serve(
    run: &mut Run,
    mut answer: impl FnMut(u64, &str) -> HttpResponse,
    mut seen: impl FnMut(&Run, Vec<Event>),
) -> u64 {
    let mut sent = 0;
    loop {
        let cmd = run.next(0);
        let events = run.take_events();
        seen(run, events);
        match cmd {
            Command::Send { id, request, .. } => {
                sent += 1;
                let response = answer(sent, &request.url);
                run.deliver(id, Ok(response), 0);
            }
            Command::Sleep { id, .. } => run.woke(id, 0),
            Command::Finished => return sent,
            other => panic!("unexpected command {other:?}"),
        }
    }
}

/// Runs `f` on a thread with a 256 KiB stack: a run whose work recursed
/// per transfer would overflow it within a few hundred.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("the run does not overflow its stack")
}

const SELF_GOTO: &str = r#"
arazzo: 1.0.1
info: {title: loop, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: loop
    steps:
      - stepId: ping
        operationId: ping
        outputs: {more: $response.body#/more}
        onSuccess:
          - name: again
            type: goto
            workflowId: loop
            criteria: [{condition: $response.body#/more == true}]
    outputs:
      more: $steps.ping.outputs.more
"#;

const TRANSFERS: u64 = 100_000;

#[test]
fn a_hundred_thousand_self_gotos_run_in_one_frame_on_a_small_stack() {
    let (report, sent, most_frames, depths) = on_small_stack(|| {
        let plan = plan(SELF_GOTO);
        let opts = RunOptions {
            max_steps: TRANSFERS + 10,
            ..RunOptions::default()
        };
        let mut run = start(&plan, "loop", opts);
        let mut most_frames = 0;
        let mut looked = std::collections::HashSet::new();
        let mut depths = std::collections::BTreeSet::new();
        let sent = serve(
            &mut run,
            // The last answer ends the loop.
            |n, _| json_response(200, json!({"more": n < TRANSFERS})),
            |run, events| {
                for e in events {
                    if let Event::WorkflowStarted { depth, .. } = e {
                        depths.insert(depth);
                    }
                }
                // A state costs a serialization of the whole report: look at a few.
                let n = run.report().workflows.len() as u64;
                if [2, 1_000, TRANSFERS / 2, TRANSFERS].contains(&n) && looked.insert(n) {
                    most_frames = most_frames.max(frames(run));
                }
            },
        );
        (run.report().clone(), sent, most_frames, depths)
    });
    assert_eq!(sent, TRANSFERS);
    assert_eq!(most_frames, 1, "a transfer replaces its frame");
    assert_eq!(depths.into_iter().collect::<Vec<_>>(), [0]);
    assert_eq!(report.workflows.len() as u64, TRANSFERS);
    assert!(report.succeeded());
    let first = &report.workflows[0];
    assert_eq!(first.reason, Reason::Requested);
    // Every execution ends as its target ended, with its own outputs.
    assert_eq!(*first.outputs, json!({"more": true}));
    let last = report.workflows.last().expect("records");
    assert_eq!(last.reason, Reason::Goto);
    assert_eq!(*last.outputs, json!({"more": false}));
    assert!(
        report
            .workflows
            .iter()
            .all(|w| w.status == Status::Succeeded && w.steps.len() == 1)
    );
}

/// Steps an endless loop may take.
const LIMIT: u64 = 10_000;

#[test]
fn an_endless_self_goto_stops_at_the_step_limit_on_a_small_stack() {
    let (report, most_frames) = on_small_stack(|| {
        let plan = plan(SELF_GOTO);
        let opts = RunOptions {
            max_steps: LIMIT,
            ..RunOptions::default()
        };
        let mut run = start(&plan, "loop", opts);
        let mut most_frames = 0;
        let mut looked = std::collections::HashSet::new();
        serve(
            &mut run,
            |_, _| json_response(200, json!({"more": true})),
            |run, _| {
                let n = run.report().workflows.len() as u64;
                if [2, LIMIT, LIMIT + 1].contains(&n) && looked.insert(n) {
                    most_frames = most_frames.max(frames(run));
                }
            },
        );
        (run.report().clone(), most_frames)
    });
    assert_eq!(most_frames, 1);
    // The step after the limit is not run: its execution fails without a step.
    assert_eq!(report.workflows.len() as u64, LIMIT + 1);
    let limit = "the run executed more than 10000 steps (a goto loop?)";
    let target = report.workflows.last().expect("records");
    assert_eq!(target.error.as_deref(), Some(limit));
    let wrapped = format!("workflow `loop` (reached by goto) failed: {limit}");
    for w in &report.workflows[..report.workflows.len() - 1] {
        assert_eq!(w.status, Status::Failed);
        // Said once, however long the chain.
        assert_eq!(w.error.as_deref(), Some(wrapped.as_str()));
        assert_eq!(w.failure.as_ref().map(|f| f.kind), Some(FailureKind::Limit));
        assert_eq!(*w.outputs, json!({}));
    }
}

const CHAINS: &str = r#"
arazzo: 1.0.1
info: {title: chains, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: caller
    steps:
      - stepId: call
        workflowId: a
        outputs:
          fromA: $outputs.seen
          status: $statusCode
      - stepId: after
        operationId: ping
    outputs:
      fromA: $steps.call.outputs.fromA
      status: $steps.call.outputs.status
  - workflowId: a
    steps:
      - stepId: first
        operationId: ping
        parameters: [{name: n, in: query, value: 1}]
        outputs: {n: $response.body#/n}
        onSuccess:
          - {name: toB, type: goto, workflowId: b}
    outputs:
      seen: $steps.first.outputs.n
      absent: $steps.first.outputs.nothing
      fromC: $workflows.c.outputs.n
  - workflowId: b
    steps:
      - stepId: second
        operationId: ping
        parameters: [{name: n, in: query, value: 2}]
        onSuccess:
          - {name: toC, type: goto, workflowId: c}
  - workflowId: c
    steps:
      - stepId: third
        operationId: ping
        parameters: [{name: n, in: query, value: 3}]
        outputs: {n: $response.body#/n}
    outputs:
      n: $steps.third.outputs.n
"#;

/// Answers `?n=N` with `{"n": N}`.
fn echo(_: u64, url: &str) -> HttpResponse {
    let n: i64 = url
        .rsplit_once("n=")
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0);
    json_response(200, json!({"n": n}))
}

#[test]
fn a_chain_inside_a_call_ends_as_nested_executions_did() {
    let plan = plan(CHAINS);
    let mut run = start(&plan, "caller", RunOptions::default());
    let mut started = Vec::new();
    let mut most_frames = 0;
    serve(&mut run, echo, |run, events| {
        most_frames = most_frames.max(frames(run));
        for e in events {
            if let Event::WorkflowStarted {
                workflow_id,
                depth,
                reason,
                ..
            } = e
            {
                started.push((workflow_id, depth, reason));
            }
        }
    });
    let report = run.report();
    assert!(report.succeeded(), "{report:#?}");
    // The targets take the place of the execution that made the goto.
    assert_eq!(
        started,
        [
            ("caller".to_string(), 0, Reason::Requested),
            ("a".into(), 1, Reason::Called),
            ("b".into(), 1, Reason::Goto),
            ("c".into(), 1, Reason::Goto),
        ]
    );
    assert_eq!(most_frames, 2);
    let by_id = |id: &str| {
        report
            .workflows
            .iter()
            .find(|w| w.workflow_id == id)
            .expect("ran")
    };
    // `a` ends last, with its own outputs — evaluated at the end of the chain,
    // so `$workflows.c.outputs` is what `c` produced — and a warning of its own.
    let a = by_id("a");
    assert_eq!(*a.outputs, json!({"seen": 1, "absent": null, "fromC": 3}));
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    assert!(by_id("b").warnings.is_empty());
    // The caller sees `a`'s outputs, and `a`'s own last exchange.
    let caller = &report.workflows[0];
    assert_eq!(*caller.outputs, json!({"fromA": 1, "status": 200}));
    assert_eq!(
        caller.steps.iter().map(|s| &s.step_id).collect::<Vec<_>>(),
        ["call", "after"]
    );
    // Records in the order the executions started; ends in reverse.
    let order: Vec<&str> = report
        .workflows
        .iter()
        .map(|w| w.workflow_id.as_str())
        .collect();
    assert_eq!(order, ["caller", "a", "b", "c"]);
}

#[test]
fn a_failing_chain_fails_each_execution_with_the_error_said_once() {
    let plan = plan(&CHAINS.replace(
        "        parameters: [{name: n, in: query, value: 3}]\n",
        "        parameters: [{name: n, in: query, value: 3}]\n        successCriteria: [{condition: $statusCode == 201}]\n",
    ));
    let mut run = start(&plan, "caller", RunOptions::default());
    let mut finished = Vec::new();
    serve(&mut run, echo, |_, events| {
        for e in events {
            if let Event::WorkflowFinished { record } = e {
                finished.push(record.workflow_id);
            }
        }
    });
    let report = run.report();
    assert_eq!(finished, ["c", "b", "a", "caller"]);
    let err = |id: &str| {
        report
            .workflows
            .iter()
            .find(|w| w.workflow_id == id)
            .and_then(|w| w.error.clone())
            .unwrap_or_default()
    };
    assert!(
        err("c").starts_with("step `third` failed: "),
        "{}",
        err("c")
    );
    let wrapped = format!("workflow `c` (reached by goto) failed: {}", err("c"));
    assert_eq!(err("b"), wrapped);
    assert_eq!(err("a"), wrapped);
    assert_eq!(
        err("caller"),
        format!("step `call` failed: workflow `a` failed: {wrapped}")
    );
    // `a` and `b` fail at the step that made the goto, as criteria failures.
    for (id, step) in [("a", "first"), ("b", "second")] {
        let w = report
            .workflows
            .iter()
            .find(|w| w.workflow_id == id)
            .expect("ran");
        let failure = w.failure.as_ref().expect("typed");
        assert_eq!(failure.kind, FailureKind::Criteria);
        assert_eq!(failure.step_id.as_deref(), Some(step));
        assert_eq!(*w.outputs, json!({}));
    }
}

#[test]
fn a_run_saved_inside_a_chain_resumes_to_the_same_report() {
    let plan = plan(CHAINS);
    let mut straight = start(&plan, "caller", RunOptions::default());
    serve(&mut straight, echo, |_, _| {});
    let expected = serde_json::to_value(straight.report()).expect("report");
    let mut run = start(&plan, "caller", RunOptions::default());
    let mut sent = 0;
    loop {
        let json = serde_json::to_string(run.state()).expect("serializes");
        let state: RunState = serde_json::from_str(&json).expect("deserializes");
        run = Run::resume(
            plan.clone(),
            Arc::new(Credentials::new()),
            RunOptions::default(),
            state,
        )
        .expect("resumes inside a chain too");
        match run.next(0) {
            Command::Send { id, request, .. } => {
                sent += 1;
                run.deliver(id, Ok(echo(sent, &request.url)), 0);
            }
            Command::Finished => break,
            other => panic!("unexpected command {other:?}"),
        }
    }
    assert_eq!(
        serde_json::to_value(run.report()).expect("report"),
        expected
    );
}

#[test]
fn a_goto_target_sees_the_steps_of_the_execution_that_transferred() {
    let plan = plan(
        r#"
arazzo: 1.1.0
info: {title: deps, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: a
    steps:
      - stepId: first
        operationId: ping
        onSuccess:
          - {name: toB, type: goto, workflowId: b}
  - workflowId: b
    dependsOn: [a]
    steps:
      - stepId: second
        operationId: ping
"#,
    );
    // `b` depends on `a`, which is still running (it waits for `b`): a
    // dependency cycle at run time, as when `a` was still on the stack.
    let mut run = start(&plan, "a", RunOptions::default());
    serve(&mut run, echo, |_, _| {});
    let b = &run.report().workflows[1];
    assert_eq!(b.workflow_id, "b");
    assert_eq!(
        b.error.as_deref(),
        Some("dependency `a` is already running (a dependency cycle)")
    );
}

#[test]
fn transfers_do_not_count_as_nesting_but_calls_still_do() {
    // `a` goes to `b`, which calls `a` again: every call nests a level, every
    // goto takes the place of its workflow.
    let plan = plan(
        r#"
arazzo: 1.0.1
info: {title: depth, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: a
    steps:
      - stepId: first
        operationId: ping
        onSuccess:
          - {name: toB, type: goto, workflowId: b}
  - workflowId: b
    steps:
      - stepId: call
        workflowId: a
"#,
    );
    let mut run = start(&plan, "a", RunOptions::default());
    let mut most_frames = 0;
    let mut deepest = 0;
    serve(&mut run, echo, |run, events| {
        most_frames = most_frames.max(frames(run));
        for e in events {
            if let Event::WorkflowStarted { depth, .. } = e {
                deepest = deepest.max(depth);
            }
        }
    });
    let report = run.report();
    let limit = "workflows nest deeper than 32 levels (a workflow calling itself?)";
    let first = &report.workflows[0];
    assert!(
        first.error.as_deref().is_some_and(|e| e.ends_with(limit)),
        "{:?}",
        first.error
    );
    // 32 levels of calls (the 33rd call is refused), each reached through a goto.
    assert_eq!(deepest, 31);
    assert_eq!(most_frames, 32);
}

/// `$workflows.<id>.inputs` reads a running workflow's inputs; the workflow
/// that made a goto is running until its target ends, though it is no
/// longer on the stack.
#[test]
fn a_goto_target_reads_the_inputs_of_the_workflow_that_transferred() {
    let plan = plan(
        r#"
arazzo: 1.1.0
info: {title: inputs, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: a
    inputs: {type: object, properties: {x: {type: integer}}}
    steps:
      - stepId: first
        operationId: ping
        onSuccess:
          - {name: toB, type: goto, workflowId: b, parameters: [{name: y, value: 1}]}
  - workflowId: b
    inputs: {type: object, properties: {y: {type: integer}}}
    steps:
      - stepId: second
        operationId: ping
        outputs: {x: $workflows.a.inputs.x}
    outputs: {x: $steps.second.outputs.x}
"#,
    );
    let mut inputs = Map::new();
    inputs.insert("x".into(), json!(42));
    let mut run = Run::new(
        plan,
        Arc::new(Credentials::new()),
        RunOptions::default(),
        vec![("a".to_string(), inputs)],
    )
    .expect("starts");
    serve(&mut run, echo, |_, _| {});
    assert_eq!(*run.report().workflows[1].outputs, json!({"x": 42}));
}
