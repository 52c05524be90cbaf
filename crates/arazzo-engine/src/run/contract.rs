//! Checking a step's response against its operation's OpenAPI description, as Redocly Respect
//! does by default: (1) the status code is declared — as itself, by a `2XX`-style range, or by
//! `default`; (2) a body's `Content-Type` is one of the declared response's media types (media
//! ranges such as `application/*` match); (3) a JSON body validates against the declared schema,
//! read for a response (`writeOnly` properties are not required, `readOnly` ones are allowed).
//!
//! The checks are read from the plan; their schema validators are compiled the first time an
//! operation's response needs one (never when checking is off) and shared by every later run of
//! the plan. Validation stays within the limits of `arazzo_openapi::schema::depth`; a body larger
//! than [`MAX_CHECKED_BODY`] gets only the first two checks.

use std::sync::{Arc, OnceLock};

use arazzo_expr::JsonPointer;
use arazzo_openapi::media;
use arazzo_openapi::schema::{self, Direction, Node, OpView, SchemaValidator, Unusable};
use serde::{Deserialize, Serialize};

use crate::exchange::Exchange;
use crate::plan::{OperationIndex, Plan};
use crate::report::{ContractProblem, ResponseCheck};

/// Whether and how a run checks each response against its operation's description
/// ([`RunOptions::check_responses`](crate::RunOptions::check_responses)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckResponses {
    /// Nothing is checked (and nothing is compiled for it).
    Off,
    /// Problems are recorded with the step (its record's `contract`, and a
    /// warning each); the step's outcome does not change. The default, as in
    /// Redocly Respect: a description that disagrees with its API is worth
    /// knowing about, but is not the workflow's failure.
    #[default]
    Warn,
    /// A response with problems fails its step like a failed success
    /// criterion (failure kind `contract`; `onFailure` actions apply).
    Error,
}

/// Most schema violations reported for one response.
pub(crate) const MAX_SCHEMA_PROBLEMS: usize = 10;

/// The largest body validated against its schema, in bytes (the mock's request limit): larger
/// bodies get the status and content type checks only, with a note.
pub(crate) const MAX_CHECKED_BODY: usize = 10 * 1024 * 1024;

/// What one operation's responses are checked against, located and compiled lazily.
#[derive(Debug)]
pub(crate) struct Contract {
    /// Aligned with the operation's `responses`, each aligned with its `content`.
    media: Vec<Vec<MediaCheck>>,
}

/// One declared media type of one response.
#[derive(Debug)]
struct MediaCheck {
    /// The schema, and the document its references are relative to.
    node: Option<Node>,
    /// Where the schema is written, as a pointer into its description (for root-level schema paths).
    place: String,
    validator: OnceLock<Result<Arc<SchemaValidator>, Unusable>>,
}

/// The plan's contracts, one per operation, each built the first time it is needed.
#[derive(Debug, Default)]
pub(crate) struct Contracts(Vec<OnceLock<Contract>>);

impl Contracts {
    /// Room for `n` operations' contracts, none built.
    pub(crate) fn new(n: usize) -> Contracts {
        Contracts((0..n).map(|_| OnceLock::new()).collect())
    }
}

/// What checking one response found: problems (which a step may fail for) and notes (what was
/// not checked, and why; never a failure).
#[derive(Debug, Default)]
pub(crate) struct Checked {
    pub(crate) problems: Vec<ContractProblem>,
    pub(crate) notes: Vec<String>,
}

/// The contract of operation `i`, built on first use.
fn contract(plan: &Plan, i: OperationIndex) -> Option<&Contract> {
    let slot = plan.contracts.0.get(i.get())?;
    Some(slot.get_or_init(|| build(plan, i)))
}

fn build(plan: &Plan, i: OperationIndex) -> Contract {
    let empty = Contract { media: Vec::new() };
    let Some(o) = plan.operation(i) else {
        return empty;
    };
    let Some(api) = plan.sources.openapi.get(o.api.get()) else {
        return empty;
    };
    let Some(entry) = api.by_pointer(&o.op.pointer) else {
        return empty;
    };
    let view = OpView::build(api, entry, &plan.sources.store);
    let swagger = api.version == arazzo_openapi::Version::Swagger2;
    let media =
        o.op.responses
            .iter()
            .enumerate()
            .map(|(r, resp)| {
                resp.content
                    .iter()
                    .enumerate()
                    .map(|(m, spec)| {
                        let mut tokens = vec!["responses".to_string(), resp.status.clone()];
                        if !swagger {
                            tokens.push("content".into());
                            tokens.push(spec.media_type.clone());
                        }
                        tokens.push("schema".into());
                        MediaCheck {
                            node: view
                                .responses
                                .get(r)
                                .and_then(|l| l.get(m))
                                .cloned()
                                .flatten(),
                            place: format!(
                                "#{}{}",
                                o.op.pointer,
                                JsonPointer::from_tokens(tokens.iter().map(String::as_str))
                            ),
                            validator: OnceLock::new(),
                        }
                    })
                    .collect()
            })
            .collect();
    Contract { media }
}

/// Checks the response in `x` against operation `i`'s description.
pub(crate) fn check(plan: &Plan, i: OperationIndex, x: &Exchange) -> Checked {
    let mut out = Checked::default();
    let Some(status) = x.status else {
        return out;
    };
    let Some(o) = plan.operation(i) else {
        return out;
    };
    let op = &o.op;
    // A description that declares no responses says nothing to check against.
    if op.responses.is_empty() {
        return out;
    }
    // (1) The status: exact, then a range, then `default`.
    let code = status.to_string();
    let found = op
        .responses
        .iter()
        .position(|r| r.status == code)
        .or_else(|| {
            op.responses.iter().position(|r| {
                !r.status.eq_ignore_ascii_case("default")
                    && r.status.parse::<u16>().is_err()
                    && r.covers(status)
            })
        })
        .or_else(|| {
            op.responses
                .iter()
                .position(|r| r.status.eq_ignore_ascii_case("default"))
        });
    let Some(r) = found else {
        let declared: Vec<&str> = op.responses.iter().map(|r| r.status.as_str()).collect();
        out.problems.push(ContractProblem {
            check: ResponseCheck::Status,
            message: format!(
                "status {status} is not declared for {} (it declares {})",
                op.label(),
                declared.join(", ")
            ),
            instance_path: None,
            schema_path: None,
        });
        return out;
    };
    let Some(resp) = op.responses.get(r) else {
        return out;
    };
    // (2) The content type, when there is a body and the response declares content.
    if x.body_len == 0 || resp.content.is_empty() {
        return out;
    }
    let declared = || {
        resp.content
            .iter()
            .map(|m| format!("`{}`", m.media_type))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(content_type) = x.response_header("content-type") else {
        out.problems.push(ContractProblem {
            check: ResponseCheck::ContentType,
            message: format!(
                "the response has a body but no Content-Type; {} declares {} for {}",
                op.label(),
                declared(),
                resp.status
            ),
            instance_path: None,
            schema_path: None,
        });
        return out;
    };
    let essence = media::essence(&content_type);
    let m = resp
        .content
        .iter()
        .position(|m| media::essence(&m.media_type) == essence)
        .or_else(|| {
            resp.content
                .iter()
                .position(|m| media::range_matches(&m.media_type, &essence))
        });
    let Some(m) = m else {
        out.problems.push(ContractProblem {
            check: ResponseCheck::ContentType,
            message: format!(
                "Content-Type `{}` is not declared for {} {} (it declares {})",
                schema::validate::cut_text(content_type.clone(), 200),
                op.label(),
                resp.status,
                declared()
            ),
            instance_path: None,
            schema_path: None,
        });
        return out;
    };
    // (3) The schema, for JSON bodies.
    if !media::is_json(&content_type) {
        return out;
    }
    let Some(body) = &x.body else {
        return out;
    };
    let Some(mc) = contract(plan, i)
        .and_then(|c| c.media.get(r))
        .and_then(|l| l.get(m))
    else {
        return out;
    };
    let Some(node) = &mc.node else {
        return out;
    };
    if x.body_len > MAX_CHECKED_BODY {
        out.notes.push(format!(
            "the response body ({} bytes) was not validated against its schema: it is larger than {MAX_CHECKED_BODY} bytes",
            x.body_len
        ));
        return out;
    }
    let validator = mc.validator.get_or_init(|| {
        schema::compile(
            &plan.sources.store,
            &node.url,
            &node.schema,
            Direction::Response,
            true,
        )
        .map(Arc::new)
    });
    let validator = match validator {
        Ok(v) => v,
        Err(Unusable::TooDeep(why)) => {
            out.notes.push(format!(
                "the response body was not validated against its schema: {why}"
            ));
            return out;
        }
        Err(Unusable::Invalid(_)) => return out,
    };
    match validator.errors(body, MAX_SCHEMA_PROBLEMS) {
        Ok(errors) => {
            for e in errors {
                let schema_path = if e.schema_path.starts_with('/') || e.schema_path.is_empty() {
                    format!("{}{}", mc.place, e.schema_path)
                } else {
                    e.schema_path
                };
                out.problems.push(ContractProblem {
                    check: ResponseCheck::Schema,
                    message: e.message,
                    instance_path: Some(e.instance_path),
                    schema_path: Some(schema_path),
                });
            }
        }
        Err(why) => out.notes.push(format!(
            "the response body was not validated against its schema: {why}"
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use serde_json::{Map, json};

    use super::*;
    use crate::exchange::HttpResponse;
    use crate::plan::Target;
    use crate::report::{FailureKind, Status};
    use crate::run::{Command, Run, RunOptions};
    use crate::{CompileOptions, Credentials};

    const OPENAPI: &str = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
components:
  schemas:
    Pet:
      type: object
      required: [id, password]
      properties:
        id: {type: integer, readOnly: true}
        password: {type: string, writeOnly: true}
        tag: {type: string, nullable: true}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}}
            text/*: {schema: {type: string}}
        "5XX": {description: server error}
        "404":
          description: none
          content: {application/problem+json: {schema: {type: object, required: [title]}}}
  /any:
    get:
      operationId: any
      responses:
        default: {description: anything}
  /none:
    get:
      operationId: none
      responses: {}
"##;

    const ARAZZO: &str = r#"
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: list
        operationId: listPets
        onFailure:
          - {name: again, type: retry, retryLimit: 1}
      - stepId: any
        operationId: any
      - stepId: none
        operationId: none
  - workflowId: strict
    steps:
      - stepId: list
        operationId: listPets
        successCriteria: [{condition: $statusCode == 201}]
"#;

    fn plan() -> Arc<Plan> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "arazzo-contract-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("api.yaml"), OPENAPI).unwrap();
        std::fs::write(dir.join("flow.yaml"), ARAZZO).unwrap();
        let at = dir.join("flow.yaml").display().to_string();
        let compiled = crate::compile_location(&at, &CompileOptions::default()).unwrap();
        assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
        let _ = std::fs::remove_dir_all(&dir);
        Arc::new(compiled.plan)
    }

    fn op(plan: &Plan, step: usize) -> OperationIndex {
        match plan.workflows[0].steps[step].target {
            Target::Operation(i) => i,
            _ => panic!("not an operation"),
        }
    }

    fn exchange(status: u16, content_type: Option<&str>, body: &str) -> Exchange {
        Exchange {
            status: Some(status),
            headers: content_type
                .map(|c| vec![("Content-Type".to_string(), c.to_string())])
                .unwrap_or_default(),
            body: crate::exchange::parse_body(content_type, body.as_bytes()),
            body_len: body.len(),
            ..Exchange::default()
        }
    }

    fn problems(plan: &Plan, step: usize, x: &Exchange) -> Vec<(ResponseCheck, String)> {
        check(plan, op(plan, step), x)
            .problems
            .into_iter()
            .map(|p| {
                let shown = p.to_string();
                (p.check, shown)
            })
            .collect()
    }

    #[test]
    fn default_is_warn() {
        assert_eq!(CheckResponses::default(), CheckResponses::Warn);
        assert_eq!(RunOptions::default().check_responses, CheckResponses::Warn);
    }

    #[test]
    fn status_codes_exact_ranges_and_default() {
        let p = plan();
        let ok = |s| problems(&p, 0, &exchange(s, None, ""));
        assert!(ok(200).is_empty());
        assert!(ok(503).is_empty(), "5XX covers 503");
        assert!(ok(404).is_empty());
        let bad = ok(201);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, ResponseCheck::Status);
        assert!(
            bad[0]
                .1
                .contains("status 201 is not declared for GET /pets (it declares 200, 5XX, 404)"),
            "{bad:?}"
        );
        // `default` covers everything; no responses at all: nothing to check against.
        assert!(problems(&p, 1, &exchange(418, Some("text/html"), "x")).is_empty());
        assert!(problems(&p, 2, &exchange(418, Some("text/html"), "x")).is_empty());
    }

    #[test]
    fn content_types_match_media_ranges() {
        let p = plan();
        let ct = |c: Option<&str>, body: &str| problems(&p, 0, &exchange(200, c, body));
        assert!(ct(Some("application/json; charset=utf-8"), "[]").is_empty());
        assert!(
            ct(Some("text/plain"), "hello").is_empty(),
            "text/* is a range"
        );
        let bad = ct(Some("application/xml"), "<a/>");
        assert_eq!(bad[0].0, ResponseCheck::ContentType);
        assert!(
            bad[0].1.contains("`application/xml` is not declared"),
            "{bad:?}"
        );
        let bad = ct(None, "[]");
        assert!(bad[0].1.contains("no Content-Type"), "{bad:?}");
        // No body: nothing to type.
        assert!(ct(None, "").is_empty());
        // A declared response without content accepts any body.
        assert!(problems(&p, 0, &exchange(503, Some("text/html"), "<p>")).is_empty());
    }

    #[test]
    fn json_bodies_validate_for_a_response() {
        let p = plan();
        let body = |b: &str| problems(&p, 0, &exchange(200, Some("application/json"), b));
        // `writeOnly` is not required in a response, `readOnly` is allowed, 3.0 `nullable` holds.
        assert!(body(r#"[{"id": 1, "tag": null}]"#).is_empty());
        let bad = body(r#"[{"id": "x"}, {"tag": 5}]"#);
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(bad.iter().all(|(c, _)| *c == ResponseCheck::Schema));
        let found = check(
            &p,
            op(&p, 0),
            &exchange(200, Some("application/json"), r#"[{"id": "x"}]"#),
        );
        let e = &found.problems[0];
        assert_eq!(e.instance_path.as_deref(), Some("/0/id"));
        assert_eq!(
            e.schema_path.as_deref(),
            Some("#/components/schemas/Pet/properties/id/type")
        );
        // A schema failure at the root is located at the response's schema.
        let found = check(
            &p,
            op(&p, 0),
            &exchange(200, Some("application/json"), "{}"),
        );
        assert_eq!(
            found.problems[0].schema_path.as_deref(),
            Some("#/paths/~1pets/get/responses/200/content/application~1json/schema/type")
        );
        // `+json` media types are JSON; text bodies get no schema check.
        let problem = problems(
            &p,
            0,
            &exchange(404, Some("application/problem+json"), "{}"),
        );
        assert_eq!(problem.len(), 1, "{problem:?}");
        assert!(problems(&p, 0, &exchange(200, Some("text/plain"), "[1]")).is_empty());
        // At most MAX_SCHEMA_PROBLEMS.
        let many = format!("[{}]", vec![r#"{"id": "x"}"#; 50].join(","));
        assert_eq!(body(&many).len(), MAX_SCHEMA_PROBLEMS);
    }

    #[test]
    fn deep_bodies_are_not_validated_but_noted() {
        let p = plan();
        let deep = format!("[{}{}]", "[".repeat(120), "]".repeat(120));
        let x = exchange(200, Some("application/json"), &deep);
        let found = check(&p, op(&p, 0), &x);
        assert!(found.problems.len() <= 1);
        let mut x = exchange(200, Some("application/json"), "[]");
        x.body_len = MAX_CHECKED_BODY + 1;
        let found = check(&p, op(&p, 0), &x);
        assert!(found.problems.is_empty());
        assert!(found.notes[0].contains("larger than"), "{:?}", found.notes);
    }

    /// Drives a run of `w` answering every request with `answer`.
    fn drive(mode: CheckResponses, answer: &dyn Fn(&str) -> HttpResponse) -> (Run, usize) {
        drive_workflow("w", mode, answer)
    }

    fn drive_workflow(
        wf: &str,
        mode: CheckResponses,
        answer: &dyn Fn(&str) -> HttpResponse,
    ) -> (Run, usize) {
        drive_with(wf, mode, Credentials::new(), answer)
    }

    fn drive_with(
        wf: &str,
        mode: CheckResponses,
        creds: Credentials,
        answer: &dyn Fn(&str) -> HttpResponse,
    ) -> (Run, usize) {
        let opts = RunOptions {
            check_responses: mode,
            ..RunOptions::default()
        };
        let mut run =
            Run::new(plan(), Arc::new(creds), opts, vec![(wf.into(), Map::new())]).unwrap();
        let mut sent = 0;
        for now in 0..100u64 {
            match run.next(now) {
                Command::Send { id, request, .. } => {
                    sent += 1;
                    let path = url::Url::parse(&request.url).unwrap().path().to_string();
                    run.deliver(id, Ok(answer(&path)), now);
                }
                Command::Sleep { id, .. } => run.woke(id, now),
                _ => break,
            }
        }
        (run, sent)
    }

    fn wrong(path: &str) -> HttpResponse {
        let body = if path == "/pets" {
            json!([{"id": "x"}])
        } else {
            json!({})
        };
        HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn warn_records_problems_without_failing() {
        let (run, sent) = drive(CheckResponses::Warn, &wrong);
        assert_eq!(sent, 3);
        let w = &run.report().workflows[0];
        assert_eq!(w.status, Status::Succeeded);
        assert_eq!(w.steps[0].contract.len(), 1);
        assert_eq!(w.steps[0].contract[0].check, ResponseCheck::Schema);
        assert_eq!(w.warnings.len(), 1, "{:?}", w.warnings);
        assert!(w.warnings[0].contains("body /0/id"), "{:?}", w.warnings);
    }

    #[test]
    fn error_fails_the_step_and_failure_actions_apply() {
        let (run, sent) = drive(CheckResponses::Error, &wrong);
        // The retry action applied: the step ran twice, then the workflow failed.
        assert_eq!(sent, 2);
        let w = &run.report().workflows[0];
        assert_eq!(w.status, Status::Failed);
        assert_eq!(w.steps.len(), 2);
        let s = &w.steps[1];
        assert_eq!(s.status, Status::Failed);
        assert_eq!(
            s.failure.as_ref().map(|f| f.kind),
            Some(FailureKind::Contract)
        );
        assert!(s.error.as_deref().unwrap_or("").contains("(1 problem)"));
        assert!(w.warnings.is_empty());
    }

    #[test]
    fn a_failed_criterion_stays_the_reason_and_the_problems_are_kept() {
        for mode in [CheckResponses::Warn, CheckResponses::Error] {
            let (run, _) = drive_workflow("strict", mode, &wrong);
            let s = &run.report().workflows[0].steps[0];
            assert_eq!(s.status, Status::Failed);
            assert_eq!(
                s.failure.as_ref().map(|f| f.kind),
                Some(FailureKind::Criteria)
            );
            assert_eq!(s.contract.len(), 1, "{mode:?}");
        }
    }

    #[test]
    fn a_secret_the_body_echoes_is_masked_in_the_problems() {
        const SECRET: &str = "k3y-Very-Secret-77";
        let mut creds = Credentials::new();
        creds.set("key", SECRET).unwrap();
        let echo = |_: &str| HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!([{"id": SECRET, SECRET: 1}]).to_string().into_bytes(),
        };
        let (run, _) = drive_with("w", CheckResponses::Warn, creds, &echo);
        let w = &run.report().workflows[0];
        let shown = format!("{:?} {:?}", w.steps[0].contract, w.warnings);
        assert!(shown.contains("is not of type"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }

    #[test]
    fn off_checks_nothing() {
        let (run, _) = drive(CheckResponses::Off, &wrong);
        let w = &run.report().workflows[0];
        assert_eq!(w.status, Status::Succeeded);
        assert!(w.steps.iter().all(|s| s.contract.is_empty()));
        // Nothing was even compiled.
        assert!(run.plan.contracts.0.iter().all(|c| c.get().is_none()));
    }
}
