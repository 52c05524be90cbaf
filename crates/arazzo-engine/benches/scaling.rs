//! Costs that must grow linearly, each measured at n, 2n and 4n:
//!
//! - `compile_openapi`: compiling a small workflow against a synthetic
//!   OpenAPI description of about 2.5, 5 and 10 MB (YAML: paths with a
//!   `get` and a `post` each, one component schema per path);
//! - `compile_workflows`: compiling one document with 250, 500 and 1,000
//!   workflows (copies of the flagship's, against its real description);
//! - `goto_loop`: running one step that `goto`s itself 2,500, 5,000 and
//!   10,000 times, through an in-process [`Transport`] that answers at once,
//!   so that the engine's own per-step cost is what is timed.
//!
//! After criterion (only under `cargo bench`), a table of medians with the
//! time per unit (per MB, per workflow, per step) shows the slope:
//!
//! ```text
//! cargo bench -p arazzo-engine --bench scaling
//! ```
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arazzo_engine::{
    BoxFuture, CompileOptions, Engine, HttpResponse, RunOptions, Status, TokioClock, Transport,
    TransportError,
};
use arazzo_openapi::HttpRequest;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use serde_json::{Value, json};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// A fresh directory for this process's generated documents.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-bench-scaling-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("the scratch directory is created");
    dir
}

/// Compiles `location` with default options (no shared document cache, so
/// every description is read and parsed again) and checks it compiled.
fn compile(location: &str) -> arazzo_engine::Compiled {
    let compiled = arazzo_engine::compile_location(location, &CompileOptions::default())
        .unwrap_or_else(|d| panic!("{location} loads: {d:#?}"));
    assert!(
        !compiled.has_errors(),
        "{location} compiles: {:#?}",
        compiled.diagnostics.iter().take(5).collect::<Vec<_>>()
    );
    compiled
}

// ------------------------------------------------- (a) a large description

/// One path of the synthetic description: `get` and `post` on
/// `/resources{i}/{id}`, and the component schema both use.
fn openapi_path(i: usize) -> (String, String) {
    let path = format!(
        r#"  /resources{i}/{{id}}:
    parameters:
    - name: id
      in: path
      required: true
      schema: {{type: string, pattern: '^[a-z0-9-]+$'}}
    get:
      operationId: getResource{i}
      summary: Read resource {i}
      description: Returns one resource of kind {i}, with its attributes and links.
      parameters:
      - name: fields
        in: query
        schema: {{type: array, items: {{type: string}}}}
        style: form
        explode: false
      - name: X-Request-Id
        in: header
        schema: {{type: string, format: uuid}}
      responses:
        '200':
          description: The resource.
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Resource{i}'}}
        '404':
          description: No such resource.
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Error'}}
    post:
      operationId: createResource{i}
      summary: Create resource {i}
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/Resource{i}'}}
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Resource{i}'}}
"#
    );
    let schema = format!(
        r#"    Resource{i}:
      type: object
      required: [id, name, kind]
      properties:
        id: {{type: string, readOnly: true}}
        name: {{type: string, minLength: 1, maxLength: 200}}
        kind: {{type: string, enum: [alpha, beta, gamma, delta]}}
        count: {{type: integer, minimum: 0}}
        ratio: {{type: number, format: double}}
        tags: {{type: array, items: {{type: string}}, maxItems: 20}}
        owner:
          type: object
          properties:
            id: {{type: string}}
            email: {{type: string, format: email}}
        created_at: {{type: string, format: date-time, readOnly: true}}
"#
    );
    (path, schema)
}

/// A description of at least `target` bytes, and how many paths it has.
fn synthetic_openapi(target: usize) -> (String, usize) {
    let mut paths = String::with_capacity(target + 4096);
    let mut schemas = String::with_capacity(target / 3);
    let mut n = 0;
    while paths.len() + schemas.len() < target {
        let (p, s) = openapi_path(n);
        paths.push_str(&p);
        schemas.push_str(&s);
        n += 1;
    }
    let text = format!(
        r#"openapi: 3.1.0
info: {{title: Synthetic, version: "1"}}
servers: [{{url: "https://api.example.com/v1"}}]
paths:
{paths}components:
  schemas:
    Error:
      type: object
      properties:
        message: {{type: string}}
{schemas}"#
    );
    (text, n)
}

/// A workflow calling the first, a middle and the last operation.
fn small_workflow(n: usize) -> String {
    format!(
        r#"arazzo: 1.0.1
info: {{title: Synthetic, version: "1"}}
sourceDescriptions: [{{name: api, url: ./api.openapi.yaml, type: openapi}}]
workflows:
  - workflowId: touch
    inputs: {{type: object, properties: {{id: {{type: string}}}}}}
    steps:
      - stepId: first
        operationId: getResource0
        parameters: [{{name: id, in: path, value: $inputs.id}}]
        successCriteria: [{{condition: $statusCode == 200}}]
      - stepId: middle
        operationId: getResource{mid}
        parameters: [{{name: id, in: path, value: $inputs.id}}]
        successCriteria: [{{condition: $statusCode == 200}}]
      - stepId: last
        operationId: createResource{last}
        parameters: [{{name: id, in: path, value: $inputs.id}}]
        requestBody:
          payload: {{name: $steps.first.outputs.name, kind: alpha}}
        successCriteria: [{{condition: $statusCode == 201}}]
        outputs: {{id: $response.body#/id}}
        "#,
        mid = n / 2,
        last = n - 1
    )
}

/// The documents for each size: (label, bytes of the description, location).
fn openapi_cases() -> Vec<(String, usize, String)> {
    [2_500_000usize, 5_000_000, 10_000_000]
        .into_iter()
        .map(|target| {
            let dir = scratch(&format!("openapi-{target}"));
            let (text, n) = synthetic_openapi(target);
            std::fs::write(dir.join("api.openapi.yaml"), &text).expect("write the description");
            std::fs::write(dir.join("flow.arazzo.yaml"), small_workflow(n))
                .expect("write the workflow");
            let location = dir.join("flow.arazzo.yaml").display().to_string();
            (
                format!("{:.1}MB", text.len() as f64 / 1e6),
                text.len(),
                location,
            )
        })
        .collect()
}

// ------------------------------------------------- (b) many workflows

/// The flagship document with its workflow copied `n` times (distinct
/// `workflowId`s), as JSON next to a copy of its description.
fn many_workflows(n: usize) -> String {
    let dir = scratch(&format!("workflows-{n}"));
    let openapi = repo("specs/pipedream/openapi/pipedream-openapi.yml");
    std::fs::copy(&openapi, dir.join("pipedream-openapi.yml")).expect("copy the description");
    let path = repo("specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml");
    let bytes = std::fs::read(&path).expect("the flagship is readable");
    let mut doc = arazzo_model::load::load(&path.display().to_string(), &bytes)
        .expect("the flagship parses")
        .value;
    doc["sourceDescriptions"][0]["url"] = json!("./pipedream-openapi.yml");
    let template = doc["workflows"][0].clone();
    let workflows: Vec<Value> = (0..n)
        .map(|i| {
            let mut w = template.clone();
            w["workflowId"] = json!(format!("connect-account-onboarding-{i}"));
            w
        })
        .collect();
    doc["workflows"] = Value::Array(workflows);
    let file = dir.join("many.arazzo.json");
    std::fs::write(
        &file,
        serde_json::to_vec_pretty(&doc).expect("the document serializes"),
    )
    .expect("write the document");
    file.display().to_string()
}

// ------------------------------------------------- (c) a goto loop

const LOOP_OPENAPI: &str = r#"openapi: 3.1.0
info: {title: Counter, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /tick:
    get:
      operationId: tick
      responses:
        '200':
          description: The count so far.
          content:
            application/json:
              schema:
                type: object
                required: [n]
                properties:
                  n: {type: integer, minimum: 1}
"#;

const LOOP_ARAZZO: &str = r#"arazzo: 1.0.1
info: {title: Loop, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: loop
    inputs: {type: object, properties: {limit: {type: integer}}, required: [limit]}
    steps:
      - stepId: tick
        operationId: tick
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {n: $response.body#/n}
        onSuccess:
          - name: again
            type: goto
            stepId: tick
            criteria: [{condition: $response.body#/n < $inputs.limit}]
          - name: done
            type: end
    outputs: {n: $steps.tick.outputs.n}
"#;

/// Answers every request at once with `{"n": <requests so far>}`.
#[derive(Default)]
struct Counter(AtomicU64);

impl Transport for Counter {
    fn send(
        &self,
        _request: HttpRequest,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: format!("{{\"n\":{n}}}").into_bytes(),
            })
        })
    }
}

struct Loop {
    engine: Engine,
    runtime: tokio::runtime::Runtime,
}

impl Loop {
    fn new() -> Loop {
        let dir = scratch("loop");
        std::fs::write(dir.join("api.openapi.yaml"), LOOP_OPENAPI).expect("write");
        std::fs::write(dir.join("loop.arazzo.yaml"), LOOP_ARAZZO).expect("write");
        let compiled = compile(&dir.join("loop.arazzo.yaml").display().to_string());
        let options = RunOptions {
            max_steps: 1_000_000,
            ..RunOptions::default()
        };
        let engine = Engine::with_parts(
            compiled.plan,
            Arc::new(Counter::default()),
            Arc::new(TokioClock::default()),
        )
        .with_options(options);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the runtime starts");
        Loop { engine, runtime }
    }

    /// One run of `steps` steps, with a counter of its own.
    fn run(&self, steps: u64) {
        let engine = self
            .engine
            .clone()
            .with_transport(Arc::new(Counter::default()));
        let outcome = self
            .runtime
            .block_on(engine.run("loop", json!({"limit": steps})))
            .expect("the loop starts");
        assert_eq!(outcome.status, Status::Succeeded, "{:#?}", outcome.error);
        assert_eq!(
            outcome.outputs["n"],
            json!(steps),
            "the loop ran {steps} steps"
        );
        std::hint::black_box(outcome);
    }
}

// ---------------------------------------------------------------- harness

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat);
    group
}

/// Median wall time of `reps` calls of `f`.
fn median_of(reps: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[reps / 2]
}

fn main() {
    let table = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default().configure_from_args();
    let mut rows: Vec<String> = Vec::new();

    // (a)
    let cases = openapi_cases();
    {
        let mut group = configure(&mut c, "scaling/compile_openapi");
        for (label, bytes, location) in &cases {
            group.throughput(Throughput::Bytes(*bytes as u64));
            group.bench_with_input(BenchmarkId::from_parameter(label), location, |b, loc| {
                b.iter(|| compile(loc))
            });
        }
        group.finish();
    }
    if table {
        for (label, bytes, location) in &cases {
            let t = median_of(5, || {
                compile(location);
            });
            let mb = *bytes as f64 / 1e6;
            rows.push(format!(
                "| compile_openapi | {label} description | {:.1} ms | {:.2} ms per MB |",
                t.as_secs_f64() * 1e3,
                t.as_secs_f64() * 1e3 / mb
            ));
        }
    }

    // (b)
    let docs: Vec<(usize, String)> = [250usize, 500, 1000]
        .into_iter()
        .map(|n| (n, many_workflows(n)))
        .collect();
    {
        let mut group = configure(&mut c, "scaling/compile_workflows");
        for (n, location) in &docs {
            group.throughput(Throughput::Elements(*n as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), location, |b, loc| {
                b.iter(|| compile(loc))
            });
        }
        group.finish();
    }
    if table {
        for (n, location) in &docs {
            let t = median_of(5, || {
                compile(location);
            });
            rows.push(format!(
                "| compile_workflows | {n} workflows | {:.1} ms | {:.1} µs per workflow |",
                t.as_secs_f64() * 1e3,
                t.as_secs_f64() * 1e6 / *n as f64
            ));
        }
    }

    // (c)
    let looped = Loop::new();
    let steps = [2_500u64, 5_000, 10_000];
    {
        let mut group = configure(&mut c, "scaling/goto_loop");
        for n in steps {
            group.throughput(Throughput::Elements(n));
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
                b.iter(|| looped.run(n))
            });
        }
        group.finish();
    }
    if table {
        for n in steps {
            let t = median_of(5, || looped.run(n));
            rows.push(format!(
                "| goto_loop | {n} steps | {:.1} ms | {:.2} µs per step |",
                t.as_secs_f64() * 1e3,
                t.as_secs_f64() * 1e6 / n as f64
            ));
        }
    }

    c.final_summary();
    remove_generated(&cases, &docs);
    if table {
        println!();
        println!("scaling: medians of 5, time per unit");
        println!("| Bench | Size | Time | Per unit |");
        println!("|---|---|---|---|");
        for row in rows {
            println!("{row}");
        }
    }
}

/// Removes the generated documents' directories.
fn remove_generated(cases: &[(String, usize, String)], docs: &[(usize, String)]) {
    let parents = cases
        .iter()
        .map(|(_, _, l)| l)
        .chain(docs.iter().map(|(_, l)| l))
        .filter_map(|l| Path::new(l).parent().map(Path::to_path_buf));
    for dir in parents {
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = std::fs::remove_dir_all(scratch("loop"));
}
