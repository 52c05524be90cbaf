//! Compilation: loaded documents → an executable [`Plan`], or diagnostics.
//!
//! Everything that can be decided before the first request is decided here:
//! every expression and criterion is parsed, every operation resolved,
//! parameter lists merged (workflow-level overridden by step-level, by name
//! and location), Reusable Objects resolved with their `value` overrides,
//! action lists merged (a step's own actions first, then the workflow's not
//! overridden by name), and every reference an expression makes is checked.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arazzo_expr::{
    CompileOptions, Criterion, CriterionError, CriterionType, Expression, ParseError, ValueExpr,
    WorkflowField,
};
use arazzo_model::load::{Part, escape_token};
use arazzo_model::model::{
    self, Action, ActionRef, Document, ExpressionType, Parameter, ParameterIn, ParameterRef, Step,
    StepTarget, Version, Workflow,
};
use arazzo_model::validate::{
    ComponentKind, WorkflowRef, parse_component_reference, parse_workflow_ref,
};
use arazzo_model::{Code, Diagnostic, Location, Span};
use arazzo_openapi::serialize::Location as ParamLocation;
use arazzo_openapi::sources::SourceTarget;
use arazzo_openapi::{OpenApi, Sources};
use indexmap::IndexMap;
use serde_json::Value;

use crate::inputs::InputsPlan;
use crate::plan::*;

/// The result of compiling.
#[derive(Debug)]
pub struct Compiled {
    /// The plan (built even when there are errors, so tools can inspect it;
    /// do not run a plan whose diagnostics contain errors).
    pub plan: Plan,
    /// Every finding, loading included.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles loaded sources. The root Arazzo document is `sources.arazzo[0]`.
pub fn compile(sources: Arc<Sources>) -> Compiled {
    let mut c = Compiler {
        sources: &sources,
        diags: sources.diagnostics.clone(),
        operations: Vec::new(),
        op_index: HashMap::new(),
        wf_index: HashMap::new(),
    };
    let apis: Vec<ApiPlan> = sources
        .openapi
        .iter()
        .map(|api| api_plan(api, &sources.store))
        .collect();
    let docs: Vec<DocPlan> = sources
        .arazzo
        .iter()
        .map(|a| DocPlan {
            url: a.url.clone(),
            // `$self` evaluates to the document's resolved identity.
            self_uri: a.doc.self_uri.as_ref().map(|_| a.base.to_string()),
            source_urls: a
                .doc
                .source_descriptions
                .iter()
                .map(|sd| {
                    let resolved = a
                        .base
                        .join(&sd.url)
                        .map(|u| u.to_string())
                        .unwrap_or_else(|_| sd.url.clone());
                    (sd.name.clone(), (resolved, sd.kind.map(|k| k.as_str())))
                })
                .collect(),
            apis: a
                .sources
                .iter()
                .filter_map(|(n, t)| match t {
                    SourceTarget::OpenApi(i) => Some((n.clone(), *i)),
                    _ => None,
                })
                .collect(),
            components: a
                .doc
                .source
                .value
                .get("components")
                .cloned()
                .unwrap_or(Value::Null),
        })
        .collect();
    let mut order: Vec<(usize, &Workflow)> = Vec::new();
    for (d, a) in sources.arazzo.iter().enumerate() {
        for w in &a.doc.workflows {
            if !w.workflow_id.is_empty() && !c.wf_index.contains_key(&(d, w.workflow_id.clone())) {
                c.wf_index.insert((d, w.workflow_id.clone()), order.len());
                order.push((d, w));
            }
        }
    }
    let workflows: Vec<WorkflowPlan> = order.iter().map(|(d, w)| c.workflow(*d, w)).collect();
    let diagnostics = c.diags;
    let operations = c.operations;
    Compiled {
        plan: Plan {
            workflows,
            operations,
            apis,
            docs,
            sources: sources.clone(),
        },
        diagnostics,
    }
}

fn api_plan(api: &OpenApi, store: &arazzo_openapi::Store) -> ApiPlan {
    let root = &api.doc.value;
    let server = if api.version == arazzo_openapi::Version::Swagger2 {
        Some(arazzo_openapi::servers::swagger2_server(root, &api.url))
    } else {
        root.get("servers")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(arazzo_openapi::servers::Server::from_value)
            .or_else(|| Some(arazzo_openapi::servers::Server::relative_root()))
    };
    let resolved = server
        .as_ref()
        .map(|s| {
            s.resolve(&api.url, &IndexMap::new())
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| Err("the description declares no server".into()));
    ApiPlan {
        name: api.name().to_string(),
        url: api.url.clone(),
        title: api.title().map(str::to_string),
        declared_server: resolved.as_ref().ok().cloned(),
        server: resolved,
        overridden: false,
        schemes: api.security_schemes(store),
    }
}

struct Compiler<'a> {
    sources: &'a Sources,
    diags: Vec<Diagnostic>,
    operations: Vec<OperationPlan>,
    op_index: HashMap<(usize, String), usize>,
    wf_index: HashMap<(usize, String), usize>,
}

/// A parameter resolved from an inline object or a Reusable Object.
struct Resolved<'d> {
    param: &'d Parameter,
    /// The value, after a Reusable `value` override.
    value: &'d Value,
    /// JSON pointer of the value (for diagnostics).
    value_path: String,
}

impl<'a> Compiler<'a> {
    fn doc(&self, d: usize) -> &'a Document {
        &self.sources.arazzo[d].doc
    }

    fn at(&self, d: usize, pointer: &str) -> Location {
        self.doc(d).locate(pointer, Part::Value)
    }

    /// A location inside the string at `pointer`, `span` bytes into its value.
    fn inside(&self, d: usize, pointer: &str, value: &str, span: &Range<usize>) -> Location {
        let loc = self.at(d, pointer);
        let src = loc.file.slice(loc.span);
        let offset = if src == value {
            Some(0)
        } else if src.len() >= 2
            && (src.starts_with('"') || src.starts_with('\''))
            && src.get(1..src.len() - 1) == Some(value)
        {
            Some(1)
        } else {
            None
        };
        match offset {
            Some(o) => Location {
                span: loc.span.sub(o + span.start, span.len().max(1)),
                file: loc.file,
            },
            None => loc,
        }
    }

    fn parse_error(&mut self, d: usize, pointer: &str, text: &str, e: &ParseError, what: &str) {
        let mut diag = Diagnostic::error(
            Code::ExpressionSyntax,
            format!("invalid {what}: {}", e.message),
        )
        .at(self.inside(d, pointer, text, &e.span))
        .label(e.message.clone());
        if let Some(h) = &e.hint {
            diag = diag.hint(h.clone());
        }
        self.diags.push(diag);
    }

    fn resolve_workflow(&self, d: usize, written: &str) -> Option<usize> {
        match parse_workflow_ref(written) {
            WorkflowRef::Local(id) => self.wf_index.get(&(d, id.to_string())).copied(),
            WorkflowRef::External { source, workflow } => {
                match self.sources.arazzo.get(d)?.sources.get(source)? {
                    SourceTarget::Arazzo(d2) => self
                        .wf_index
                        .get(&(*d2, workflow.to_string()))
                        .or_else(|| {
                            // Respect's `$sourceDescriptions.<name>.workflows.<id>`.
                            let id = workflow.strip_prefix("workflows.")?;
                            self.wf_index.get(&(*d2, id.to_string()))
                        })
                        .copied(),
                    _ => None,
                }
            }
        }
    }

    /// The id of workflow `i` of the plan being built.
    fn plan_workflow_id(&self, i: usize) -> Option<&str> {
        self.wf_index
            .iter()
            .find(|(_, v)| **v == i)
            .map(|((_, id), _)| id.as_str())
    }

    fn workflow_ref(&mut self, d: usize, written: &str, pointer: &str) -> Option<usize> {
        let found = self.resolve_workflow(d, written);
        if let Some(i) = found
            && let WorkflowRef::External { source, workflow } = parse_workflow_ref(written)
            && let Some(id) = workflow.strip_prefix("workflows.")
            && self.plan_workflow_id(i) == Some(id)
        {
            self.diags.push(
                Diagnostic::warning(
                    Code::UnknownWorkflow,
                    format!(
                        "`{written}` is Redocly Respect's form, not standard Arazzo; write `$sourceDescriptions.{source}.{id}`"
                    ),
                )
                .at(self.at(d, pointer)),
            );
        }
        if found.is_none()
            && let WorkflowRef::External { source, workflow } = parse_workflow_ref(written)
            && matches!(
                self.sources
                    .arazzo
                    .get(d)
                    .and_then(|a| a.sources.get(source)),
                Some(SourceTarget::Arazzo(_))
            )
        {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownWorkflow,
                    format!("the Arazzo document `{source}` has no workflow `{workflow}`"),
                )
                .at(self.at(d, pointer)),
            );
        }
        found
    }

    fn workflow(&mut self, d: usize, wf: &'a Workflow) -> WorkflowPlan {
        let doc = self.doc(d);
        let components = doc.source.value.get("components");
        let inputs = InputsPlan::compile(wf.inputs.as_ref(), components);
        if let Some(problem) = &inputs.problem {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "the input schema of workflow `{}` is not a valid JSON Schema: {problem}",
                        wf.workflow_id
                    ),
                )
                .at(self.at(d, &format!("{}/inputs", wf.path))),
            );
        }
        if let Some(ty) = inputs_type(wf.inputs.as_ref(), components)
            && ty != "object"
        {
            self.diags.push(
                Diagnostic::warning(
                    Code::InputsNotObject,
                    format!(
                        "the inputs of workflow `{}` are declared as `{ty}`, but inputs are an object of named values: no run can pass its input check",
                        wf.workflow_id
                    ),
                )
                .at(self.at(d, &format!("{}/inputs", wf.path)))
                .hint("declare `type: object` with the inputs as `properties`"),
            );
        }
        let depends_on = wf
            .depends_on
            .iter()
            .enumerate()
            .filter_map(|(i, dep)| self.workflow_ref(d, dep, &format!("{}/dependsOn/{i}", wf.path)))
            .collect();
        let steps: Vec<StepPlan> = wf.steps.iter().map(|s| self.step(d, wf, s)).collect();
        let outputs = self.outputs(d, &wf.outputs, &format!("{}/outputs", wf.path));
        let plan = WorkflowPlan {
            id: wf.workflow_id.clone(),
            doc: d,
            summary: wf.summary.clone(),
            description: wf.description.clone(),
            inputs,
            depends_on,
            steps,
            outputs,
            path: wf.path.clone(),
        };
        self.check_references(d, wf, &plan);
        plan
    }

    fn step(&mut self, d: usize, wf: &'a Workflow, step: &'a Step) -> StepPlan {
        let (target, pointer) = match &step.target {
            StepTarget::OperationId(id) => (
                self.operation(d, id, &format!("{}/operationId", step.path), false),
                "operationId",
            ),
            StepTarget::OperationPath(p) => (
                self.operation(d, p, &format!("{}/operationPath", step.path), true),
                "operationPath",
            ),
            StepTarget::WorkflowId(w) => {
                let p = format!("{}/workflowId", step.path);
                match self.workflow_ref(d, w, &p) {
                    Some(i) => (Target::Workflow(i), "workflowId"),
                    None => (
                        Target::Unsupported(format!("workflow `{w}` does not exist")),
                        "workflowId",
                    ),
                }
            }
            StepTarget::ChannelPath(_) => {
                self.diags.push(
                    Diagnostic::warning(
                        Code::Unsupported,
                        format!("step `{}` is an AsyncAPI channel step, which arazzo-run does not execute", step.step_id),
                    )
                    .at(self.at(d, &format!("{}/channelPath", step.path)))
                    .hint("running this step fails; the rest of the document is checked and runs"),
                );
                (
                    Target::Unsupported(
                        "AsyncAPI channel steps are not executed by arazzo-run".into(),
                    ),
                    "channelPath",
                )
            }
            StepTarget::Missing => (
                Target::Unsupported("the step names no operation or workflow".into()),
                "stepId",
            ),
        };
        let _ = pointer;
        let to_workflow = matches!(step.target, StepTarget::WorkflowId(_));
        let resolved = self.merge_params(d, wf, &step.parameters, to_workflow);
        if let Target::Operation(op) = &target {
            self.check_operation_params(d, step, *op, &resolved);
        }
        let params = self.compile_params(d, &resolved, !to_workflow);
        let body = step.request_body.as_ref().map(|b| self.body(d, b));
        let success: Vec<CriterionPlan> = step
            .success_criteria
            .iter()
            .filter_map(|c| self.criterion(d, c))
            .collect();
        let expected_status = success.iter().find_map(|c| expected_status(&c.condition));
        let expectations = success
            .iter()
            .flat_map(|c| c.criterion.expectations())
            .collect();
        let on_success = self.actions(
            d,
            wf,
            step.on_success.as_deref(),
            &wf.success_actions,
            ComponentKind::SuccessActions,
        );
        let on_failure = self.actions(
            d,
            wf,
            step.on_failure.as_deref(),
            &wf.failure_actions,
            ComponentKind::FailureActions,
        );
        let outputs = self.outputs(d, &step.outputs, &format!("{}/outputs", step.path));
        let depends_on = step
            .depends_on
            .iter()
            .filter_map(|dep| self.step_dep(d, wf, dep))
            .collect();
        StepPlan {
            id: step.step_id.clone(),
            depends_on,
            description: step.description.clone(),
            target,
            params,
            body,
            success,
            on_success,
            on_failure,
            outputs,
            timeout_ms: step.timeout,
            expected_status,
            expectations,
            path: step.path.clone(),
        }
    }

    /// Resolves a step `dependsOn` entry (unknown targets are reported by the model validator).
    fn step_dep(&self, d: usize, wf: &Workflow, dep: &str) -> Option<StepDep> {
        let other = |doc: usize, rest: &str| -> Option<StepDep> {
            let (w, s) = rest.split_once(".steps.")?;
            let workflow = *self.wf_index.get(&(doc, w.to_string()))?;
            let step = self
                .sources
                .arazzo
                .get(doc)?
                .doc
                .workflow(w)?
                .step_index(s)?;
            Some(StepDep::Other { workflow, step })
        };
        if let Some(rest) = dep.strip_prefix("$workflows.") {
            return other(d, rest);
        }
        if let Some(rest) = dep.strip_prefix("$sourceDescriptions.") {
            let (source, rest) = rest.split_once('.')?;
            let SourceTarget::Arazzo(d2) = self.sources.arazzo.get(d)?.sources.get(source)? else {
                return None;
            };
            return other(*d2, rest);
        }
        wf.step_index(dep).map(StepDep::Step)
    }

    fn operation(&mut self, d: usize, written: &str, pointer: &str, by_path: bool) -> Target {
        let found = if by_path {
            self.sources.find_operation_path(d, written)
        } else {
            self.sources.find_operation_id(d, written)
        };
        match found {
            Ok(f) => {
                if let Some(w) = &f.warning {
                    self.diags.push(
                        Diagnostic::warning(
                            if w.contains("is defined in") {
                                Code::AmbiguousOperation
                            } else {
                                Code::UnresolvedOperation
                            },
                            w.clone(),
                        )
                        .at(self.at(d, pointer)),
                    );
                }
                let key = (f.api, f.entry.pointer.clone());
                if let Some(&i) = self.op_index.get(&key) {
                    return Target::Operation(i);
                }
                let Some(api) = self.sources.openapi.get(f.api) else {
                    return Target::Unsupported("the operation's description is missing".into());
                };
                let op = arazzo_openapi::operation::build(api, &f.entry, &self.sources.store);
                for problem in &op.problems {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::InvalidOpenApi,
                            format!("{} in {}: {problem}", op.label(), api.name()),
                        )
                        .at(self.at(d, pointer)),
                    );
                }
                for r in &op.unresolved_refs {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::UnresolvedRef,
                            format!("{} in {}: {r}", op.label(), api.name()),
                        )
                        .at(self.at(d, pointer)),
                    );
                }
                let server = operation_server(api, &op);
                self.operations.push(OperationPlan {
                    api: f.api,
                    op,
                    server,
                });
                let i = self.operations.len() - 1;
                self.op_index.insert(key, i);
                Target::Operation(i)
            }
            Err(e) => {
                use arazzo_openapi::lookup::LookupError;
                if !by_path && let Some(source) = self.asyncapi_operation(d, written) {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::Unsupported,
                            format!("`{written}` is an operation of the AsyncAPI source `{source}`, which arazzo-run does not execute"),
                        )
                        .at(self.at(d, pointer))
                        .hint("running this step fails; the rest of the document is checked and runs"),
                    );
                    return Target::Unsupported(
                        "AsyncAPI operations are not executed by arazzo-run".into(),
                    );
                }
                let code = match &e {
                    LookupError::Ambiguous { .. } | LookupError::Duplicate { .. } => {
                        Code::AmbiguousOperation
                    }
                    LookupError::UnknownSource(_) => Code::UnknownSource,
                    _ => Code::UnresolvedOperation,
                };
                let mut diag = Diagnostic::error(code, e.to_string()).at(self.at(d, pointer));
                let candidates = e.candidates();
                if !candidates.is_empty() {
                    diag = diag.hint(format!(
                        "did you mean {}?",
                        candidates
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                } else if let LookupError::Ambiguous { sources, id } = &e {
                    diag = diag.hint(format!(
                        "qualify it: `$sourceDescriptions.{}.{id}`",
                        sources.first().cloned().unwrap_or_default()
                    ));
                }
                self.diags.push(diag);
                Target::Unsupported(e.to_string())
            }
        }
    }

    /// The AsyncAPI source of document `d` that defines operation `written`
    /// (`$sourceDescriptions.<name>.<id>` or a bare id), if any.
    fn asyncapi_operation(&self, d: usize, written: &str) -> Option<String> {
        let (only, id) = match written
            .strip_prefix("$sourceDescriptions.")
            .and_then(|r| r.split_once('.'))
        {
            Some((s, id)) => (Some(s), id),
            None => (None, written),
        };
        let doc = self.sources.arazzo.get(d)?;
        doc.sources.iter().find_map(|(name, t)| {
            let SourceTarget::AsyncApi(url) = t else {
                return None;
            };
            if only.is_some_and(|o| o != name) {
                return None;
            }
            let v = &self.sources.store.get(url)?.value;
            // AsyncAPI 3: `operations` keyed by id; 2.x: `operationId` on publish/subscribe.
            let v3 = v
                .get("operations")
                .and_then(Value::as_object)
                .is_some_and(|o| o.contains_key(id));
            let v2 = v
                .get("channels")
                .and_then(Value::as_object)
                .is_some_and(|chs| {
                    chs.values().any(|c| {
                        ["publish", "subscribe"].iter().any(|k| {
                            c.get(k)
                                .and_then(|o| o.get("operationId"))
                                .and_then(Value::as_str)
                                == Some(id)
                        })
                    })
                });
            (v3 || v2).then(|| name.clone())
        })
    }

    /// Resolves inline and Reusable parameters, then merges the workflow's
    /// with the step's: a step parameter with the same name and location
    /// replaces the workflow's (header names compare case-insensitively).
    fn merge_params(
        &mut self,
        d: usize,
        wf: &'a Workflow,
        list: &'a [ParameterRef],
        to_workflow: bool,
    ) -> Vec<Resolved<'a>> {
        let mut out: Vec<Resolved<'a>> = Vec::new();
        let key = |p: &Parameter| -> (String, Option<ParameterIn>) {
            if to_workflow {
                (p.name.clone(), None)
            } else if p.location == Some(ParameterIn::Header) {
                (p.name.to_ascii_lowercase(), p.location)
            } else {
                (p.name.clone(), p.location)
            }
        };
        for r in wf.parameters.iter().chain(list.iter()) {
            let Some(resolved) = self.resolve_param(d, r) else {
                continue;
            };
            let k = key(resolved.param);
            match out.iter_mut().find(|e| key(e.param) == k) {
                Some(existing) => *existing = resolved,
                None => out.push(resolved),
            }
        }
        out
    }

    fn resolve_param(&self, d: usize, r: &'a ParameterRef) -> Option<Resolved<'a>> {
        match r {
            ParameterRef::Inline(p) => Some(Resolved {
                param: p,
                value: &p.value,
                value_path: format!("{}/value", p.path),
            }),
            ParameterRef::Reusable(reusable) => {
                let (kind, name) = parse_component_reference(&reusable.reference)?;
                if kind != ComponentKind::Parameters {
                    return None;
                }
                let p = self.doc(d).components.parameters.get(name)?;
                Some(match &reusable.value {
                    Some(v) => Resolved {
                        param: p,
                        value: v,
                        value_path: format!("{}/value", reusable.path),
                    },
                    None => Resolved {
                        param: p,
                        value: &p.value,
                        value_path: format!("{}/value", p.path),
                    },
                })
            }
        }
    }

    fn compile_params(
        &mut self,
        d: usize,
        resolved: &[Resolved<'_>],
        with_location: bool,
    ) -> Vec<ParamPlan> {
        let selectors = self.doc(d).version >= Version::V1_1;
        resolved
            .iter()
            .filter_map(|r| {
                let location = if with_location {
                    match r.param.location? {
                        ParameterIn::Path => Some(ParamLocation::Path),
                        ParameterIn::Query => Some(ParamLocation::Query),
                        ParameterIn::QueryString => Some(ParamLocation::QueryString),
                        ParameterIn::Header => Some(ParamLocation::Header),
                        ParameterIn::Cookie => Some(ParamLocation::Cookie),
                        ParameterIn::Body => return None,
                    }
                } else {
                    None
                };
                let value = self.value(d, r.value, &r.value_path, selectors)?;
                Some(ParamPlan {
                    name: r.param.name.clone(),
                    location,
                    value,
                    pointer: r.value_path.clone(),
                })
            })
            .collect()
    }

    /// Compiles a value with expressions; reports syntax errors at their place.
    fn value(&mut self, d: usize, v: &Value, pointer: &str, selectors: bool) -> Option<ValueExpr> {
        let options = CompileOptions {
            selectors,
            // Real-world documents write `$response.body.id`; run them, and
            // warn with the standard spelling (see `lookalikes`).
            dot_navigation: true,
        };
        match ValueExpr::compile_with(v, options) {
            Ok(x) => {
                self.lookalikes(d, v, pointer);
                Some(x)
            }
            Err(errors) => {
                for (inner, e) in errors {
                    let p = format!("{pointer}{inner}");
                    let text = self
                        .doc(d)
                        .source
                        .value
                        .pointer(&p)
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let text = text.to_string();
                    let at_selector = self
                        .doc(d)
                        .source
                        .value
                        .pointer(&p)
                        .is_some_and(arazzo_model::parse::is_selector_object);
                    if p.ends_with("/selector") || at_selector {
                        // The query of a Selector Object, not an expression.
                        let field = if at_selector {
                            format!("{p}/selector")
                        } else {
                            p.clone()
                        };
                        self.diags.push(
                            Diagnostic::error(
                                Code::CriterionSyntax,
                                format!("invalid selector: {}", e.message),
                            )
                            .at(self.at(d, &field)),
                        );
                    } else {
                        self.parse_error(d, &p, &text, &e, "runtime expression");
                    }
                }
                None
            }
        }
    }

    /// Warns about literal strings that look like expressions but do not
    /// parse (`$response.body#id`): they would be sent as text.
    fn lookalikes(&mut self, d: usize, v: &Value, pointer: &str) {
        match v {
            Value::String(s) => {
                if s.starts_with('$')
                    && arazzo_expr::parse_expression(s).is_err()
                    && let Ok(op) = arazzo_expr::parse_operand(s)
                    && !op.accessors.is_empty()
                {
                    let standard = op
                        .to_pointer_expression()
                        .map(|e| format!("; write `{e}`"))
                        .unwrap_or_default();
                    self.diags.push(
                        Diagnostic::warning(
                            Code::ExpressionSyntax,
                            format!("`{s}` navigates with `.`/`[n]`, which Arazzo allows only in conditions; arazzo-run evaluates it anyway{standard}"),
                        )
                        .at(self.at(d, pointer)),
                    );
                } else if let Some(e) = arazzo_expr::expression_lookalike(s) {
                    let mut diag = Diagnostic::warning(
                        Code::ExpressionSyntax,
                        format!("`{s}` looks like a runtime expression but does not parse, so it is used as literal text: {}", e.message),
                    )
                    .at(self.inside(d, pointer, s, &e.span))
                    .label(e.message.clone());
                    if let Some(h) = e.hint {
                        diag = diag.hint(h);
                    }
                    self.diags.push(diag);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.lookalikes(d, x, &format!("{pointer}/{i}"));
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.lookalikes(d, x, &format!("{pointer}/{}", escape_token(k)));
                }
            }
            _ => {}
        }
    }

    fn check_operation_params(
        &mut self,
        d: usize,
        step: &Step,
        op: usize,
        resolved: &[Resolved<'_>],
    ) {
        let Some(plan) = self.operations.get(op) else {
            return;
        };
        let operation = plan.op.clone();
        for r in resolved {
            let Some(loc) = r.param.location.and_then(|l| match l {
                ParameterIn::Path => Some(ParamLocation::Path),
                ParameterIn::Query => Some(ParamLocation::Query),
                ParameterIn::QueryString => Some(ParamLocation::QueryString),
                ParameterIn::Header => Some(ParamLocation::Header),
                ParameterIn::Cookie => Some(ParamLocation::Cookie),
                ParameterIn::Body => None,
            }) else {
                continue;
            };
            if operation.parameter(&r.param.name, loc).is_none() {
                let mut diag = Diagnostic::warning(
                    Code::UnknownParameter,
                    format!(
                        "{} declares no {loc} parameter `{}`; it is sent anyway",
                        operation.label(),
                        r.param.name
                    ),
                )
                .at(self.at(d, &format!("{}/name", r.param.path)));
                let same_name_elsewhere =
                    operation.parameters.iter().find(|p| p.name == r.param.name);
                if let Some(p) = same_name_elsewhere {
                    diag = diag.hint(format!("the operation has `{}` in {}", p.name, p.location));
                } else if let Some(close) = arazzo_model::suggest::closest(
                    &r.param.name,
                    operation
                        .parameters
                        .iter()
                        .filter(|p| p.location == loc)
                        .map(|p| p.name.as_str()),
                ) {
                    diag = diag.hint(format!("did you mean `{close}`?"));
                }
                self.diags.push(diag);
            }
        }
        for p in &operation.parameters {
            if p.required
                && !resolved.iter().any(|r| {
                    r.param
                        .location
                        .is_some_and(|l| l.as_str() == p.location.as_str())
                        && if p.location == ParamLocation::Header {
                            r.param.name.eq_ignore_ascii_case(&p.name)
                        } else {
                            r.param.name == p.name
                        }
                })
            {
                // Without a path parameter no request can be built; a
                // missing query or header parameter may still be accepted.
                let diag = if p.location == ParamLocation::Path {
                    Diagnostic::error
                } else {
                    Diagnostic::warning
                };
                self.diags.push(
                    diag(
                        Code::MissingParameter,
                        format!(
                            "step `{}` does not supply the required {} parameter `{}` of {}",
                            step.step_id,
                            p.location,
                            p.name,
                            operation.label()
                        ),
                    )
                    .at(self.at(d, &format!("{}/{}", step.path, step.target.field()))),
                );
            }
        }
    }

    fn body(&mut self, d: usize, b: &arazzo_model::model::RequestBody) -> BodyPlan {
        let selectors = self.doc(d).version >= Version::V1_1;
        let payload = b
            .payload
            .as_ref()
            .and_then(|p| self.value(d, p, &format!("{}/payload", b.path), selectors));
        let xml = b
            .content_type
            .as_deref()
            .is_some_and(arazzo_openapi::media::is_xml);
        let replacements = b
            .replacements
            .iter()
            .filter_map(|r| {
                let target = match (&r.target_type, xml) {
                    (Some(ExpressionType::JsonPath(_)), _) => {
                        match serde_json_path::JsonPath::parse(&r.target) {
                            Ok(p) => ReplacementTarget::JsonPath(Arc::new(p)),
                            Err(e) => {
                                self.diags.push(
                                    Diagnostic::error(
                                        Code::CriterionSyntax,
                                        format!("invalid JSONPath target: {e}"),
                                    )
                                    .at(self.at(d, &format!("{}/target", r.path))),
                                );
                                return None;
                            }
                        }
                    }
                    (Some(ExpressionType::XPath(_)), _) | (None, true) => {
                        ReplacementTarget::XPath(r.target.clone())
                    }
                    _ => {
                        if !r.target.is_empty() && !r.target.starts_with('/') {
                            self.diags.push(
                                Diagnostic::error(
                                    Code::InvalidValue,
                                    format!(
                                        "replacement target `{}` is not a JSON pointer",
                                        r.target
                                    ),
                                )
                                .at(self.at(d, &format!("{}/target", r.path)))
                                .hint("JSON pointers start with `/`, e.g. `/pet/id`"),
                            );
                            return None;
                        }
                        ReplacementTarget::Pointer(r.target.clone())
                    }
                };
                let value = self.value(d, &r.value, &format!("{}/value", r.path), selectors)?;
                Some(ReplacementPlan { target, value })
            })
            .collect();
        BodyPlan {
            content_type: b.content_type.clone(),
            payload,
            replacements,
        }
    }

    fn criterion(&mut self, d: usize, c: &arazzo_model::model::Criterion) -> Option<CriterionPlan> {
        let ty = match &c.kind {
            ExpressionType::Simple => CriterionType::Simple,
            ExpressionType::Regex => CriterionType::Regex,
            ExpressionType::JsonPath(v) => CriterionType::JsonPath { version: v.clone() },
            ExpressionType::XPath(v) => CriterionType::XPath { version: v.clone() },
            ExpressionType::JsonPointer(_) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        "`jsonpointer` is a selector type, not a criterion type",
                    )
                    .at(self.at(d, &format!("{}/type", c.path))),
                );
                return None;
            }
        };
        match Criterion::compile(&c.condition, c.context.as_deref(), &ty) {
            Ok(crit) => {
                // Many published documents type JavaScript-style comparisons
                // as `jsonpath` (`$.ok == true`, `$.data.length > 0`). They are
                // not RFC 9535, but their meaning is plain: run them as the
                // equivalent `simple` condition on the context, and say so.
                if crit.query_problem().is_some()
                    && matches!(ty, CriterionType::JsonPath { .. })
                    && let Some(context) = c.context.as_deref()
                    && let Some(simple) = js_comparison(context, &c.condition)
                    && let Ok(rewritten) = Criterion::compile(&simple, None, &CriterionType::Simple)
                {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::CriterionSyntax,
                            format!(
                                "`{}` is not RFC 9535 JSONPath; arazzo-run evaluates it as the simple condition `{simple}`",
                                c.condition
                            ),
                        )
                        .at(self.at(d, &format!("{}/condition", c.path)))
                        .hint(format!("write `condition: {simple}` without `type: jsonpath` to make the document portable")),
                    );
                    return Some(CriterionPlan {
                        condition: c.condition.clone(),
                        criterion: rewritten,
                    });
                }
                if let Some(problem) = crit.query_problem() {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::CriterionSyntax,
                            format!("this {} query does not compile, so the criterion always fails: {problem}", ty.keyword()),
                        )
                        .at(self.at(d, &format!("{}/condition", c.path))),
                    );
                }
                if let Some(cond) = crit.simple_condition() {
                    for (span, note) in cond.portability_notes() {
                        self.diags.push(
                            Diagnostic::warning(Code::ExpressionSyntax, note.to_string()).at(self
                                .inside(d, &format!("{}/condition", c.path), &c.condition, &span)),
                        );
                    }
                }
                Some(CriterionPlan {
                    condition: c.condition.clone(),
                    criterion: crit,
                })
            }
            Err(e) => {
                match &e {
                    CriterionError::Context(pe) => {
                        let text = c.context.clone().unwrap_or_default();
                        self.parse_error(
                            d,
                            &format!("{}/context", c.path),
                            &text,
                            pe,
                            "criterion context",
                        );
                    }
                    CriterionError::Condition(pe) => {
                        self.parse_error(
                            d,
                            &format!("{}/condition", c.path),
                            &c.condition,
                            pe,
                            "condition",
                        );
                    }
                    // Reported by the document parser already.
                    CriterionError::MissingContext { .. }
                    | CriterionError::UnknownType(_)
                    | CriterionError::UnknownVersion { .. } => {}
                    CriterionError::InvalidQuery(_) => self.diags.push(
                        Diagnostic::error(Code::CriterionSyntax, e.to_string())
                            .at(self.at(d, &format!("{}/condition", c.path))),
                    ),
                }
                None
            }
        }
    }

    fn outputs(
        &mut self,
        d: usize,
        outputs: &IndexMap<String, Value>,
        pointer: &str,
    ) -> Vec<OutputPlan> {
        // Selector Objects are unambiguous in outputs (an output is otherwise a string).
        let selectors = true;
        outputs
            .iter()
            .filter_map(|(name, v)| {
                let p = format!("{pointer}/{}", escape_token(name));
                if let Value::String(s) = v
                    && !s.contains('$')
                {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::ExpressionSyntax,
                            format!("output `{name}` is the literal text `{s}`, not a runtime expression"),
                        )
                        .at(self.at(d, &p))
                        .hint("outputs are usually expressions such as `$response.body#/id`"),
                    );
                }
                if !v.is_string() && !arazzo_model::parse::is_selector_object(v) {
                    return None;
                }
                let value = self.value(d, v, &p, selectors)?;
                Some(OutputPlan {
                    name: name.clone(),
                    value,
                })
            })
            .collect()
    }

    fn action_params(
        &mut self,
        d: usize,
        wf: &'a Workflow,
        params: &'a [ParameterRef],
    ) -> Option<Vec<ParamPlan>> {
        if params.is_empty() {
            return None;
        }
        let mut resolved: Vec<Resolved<'a>> = Vec::new();
        for r in params {
            if let Some(x) = self.resolve_param(d, r) {
                resolved.retain(|e| e.param.name != x.param.name);
                resolved.push(x);
            }
        }
        let _ = wf;
        Some(self.compile_params(d, &resolved, false))
    }

    /// A step's own actions of one list (`kind`: success or failure
    /// actions) merged with its workflow's, compiled.
    fn actions(
        &mut self,
        d: usize,
        wf: &'a Workflow,
        own: Option<&'a [ActionRef]>,
        workflow: &'a [ActionRef],
        kind: ComponentKind,
    ) -> Vec<ActionPlan> {
        let components = &self.doc(d).components;
        let components = if kind == ComponentKind::SuccessActions {
            &components.success_actions
        } else {
            &components.failure_actions
        };
        let list = merged_actions(own.unwrap_or_default(), workflow, kind, components);
        list.into_iter()
            .filter_map(|a| self.action(d, wf, a))
            .collect()
    }

    fn action(&mut self, d: usize, wf: &'a Workflow, a: &'a Action) -> Option<ActionPlan> {
        let criteria = a
            .criteria
            .iter()
            .filter_map(|c| self.criterion(d, c))
            .collect();
        let kind = match a.kind {
            model::ActionKind::End => ActionKind::End,
            model::ActionKind::Goto => self.goto(d, wf, a)?,
            model::ActionKind::Retry => {
                let via = if let Some(s) = &a.step_id {
                    Some(Via::Step(wf.step_index(s)?))
                } else if let Some(w) = &a.workflow_id {
                    Some(Via::Workflow {
                        workflow: self.workflow_ref(d, w, &format!("{}/workflowId", a.path))?,
                        params: self.action_params(d, wf, &a.parameters),
                    })
                } else {
                    None
                };
                ActionKind::Retry {
                    after: a.retry_after,
                    limit: a.retry_limit.unwrap_or(1),
                    via,
                }
            }
        };
        Some(ActionPlan {
            name: a.name.clone(),
            criteria,
            kind,
        })
    }

    fn goto(&mut self, d: usize, wf: &'a Workflow, a: &'a Action) -> Option<ActionKind> {
        if let Some(s) = &a.step_id {
            return wf.step_index(s).map(ActionKind::GotoStep);
        }
        let w = a.workflow_id.as_deref()?;
        let workflow = self.workflow_ref(d, w, &format!("{}/workflowId", a.path))?;
        Some(ActionKind::GotoWorkflow {
            workflow,
            params: self.action_params(d, wf, &a.parameters),
        })
    }

    /// Checks what every expression of a workflow refers to.
    fn check_references(&mut self, d: usize, wf: &Workflow, plan: &WorkflowPlan) {
        let doc = self.doc(d);
        let declared_inputs: Option<Vec<String>> = plan.inputs.resolved.as_ref().and_then(|s| {
            if s.get("additionalProperties")
                .is_some_and(|a| a != &Value::Bool(false))
            {
                return None;
            }
            s.get("properties")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
        });
        let mut found: Vec<FoundExpression> = Vec::new();
        // (pointer of the string, expression, span in it, index of the step it appears in)
        for (i, step) in plan.steps.iter().enumerate() {
            let collect_value = |v: &ValueExpr, base: String, out: &mut Vec<_>| {
                for (inner, e, span) in v.expressions() {
                    out.push((format!("{base}{inner}"), e.clone(), Some(span), Some(i)));
                }
            };
            for p in &step.params {
                collect_value(&p.value, p.pointer.clone(), &mut found);
            }
            if let Some(b) = &step.body {
                if let Some(p) = &b.payload {
                    collect_value(p, format!("{}/requestBody/payload", step.path), &mut found);
                }
                for (ri, r) in b.replacements.iter().enumerate() {
                    collect_value(
                        &r.value,
                        format!("{}/requestBody/replacements/{ri}/value", step.path),
                        &mut found,
                    );
                }
            }
            for (ci, c) in step.success.iter().enumerate() {
                for e in criterion_expressions(&c.criterion) {
                    found.push((
                        format!("{}/successCriteria/{ci}", step.path),
                        e,
                        None,
                        Some(i),
                    ));
                }
            }
            for a in step.on_success.iter().chain(step.on_failure.iter()) {
                for c in &a.criteria {
                    for e in criterion_expressions(&c.criterion) {
                        found.push((step.path.clone(), e, None, Some(i)));
                    }
                }
            }
            for o in &step.outputs {
                collect_value(
                    &o.value,
                    format!("{}/outputs/{}", step.path, escape_token(&o.name)),
                    &mut found,
                );
            }
        }
        for o in &plan.outputs {
            for (inner, e, span) in o.value.expressions() {
                found.push((
                    format!("{}/outputs/{}{inner}", wf.path, escape_token(&o.name)),
                    e.clone(),
                    Some(span),
                    None,
                ));
            }
        }
        let step_outputs: HashMap<&str, Vec<&str>> = plan
            .steps
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    s.outputs.iter().map(|o| o.name.as_str()).collect(),
                )
            })
            .collect();
        let mut reported: std::collections::HashSet<(String, String)> =
            std::collections::HashSet::new();
        for (pointer, e, span, in_step) in found {
            let loc = match &span {
                Some(sp) => {
                    let text = doc
                        .source
                        .value
                        .pointer(&pointer)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    self.inside(d, &pointer, &text, sp)
                }
                None => self.at(d, &pointer),
            };
            let key = (pointer.clone(), e.to_string());
            if !reported.insert(key) {
                continue;
            }
            match &e {
                Expression::Steps {
                    step_id, output, ..
                } => match plan.step_index(step_id) {
                    None => {
                        let mut diag = Diagnostic::error(
                            Code::UnknownStep,
                            format!("`{e}` refers to step `{step_id}`, which workflow `{}` does not have", wf.workflow_id),
                        )
                        .at(loc);
                        if let Some(close) = arazzo_model::suggest::closest(
                            step_id,
                            plan.steps.iter().map(|s| s.id.as_str()),
                        ) {
                            diag = diag.hint(format!("did you mean `{close}`?"));
                        } else {
                            diag = diag.hint("`$steps` only reaches steps of the same workflow; use workflow outputs to pass values between workflows");
                        }
                        self.diags.push(diag);
                    }
                    Some(target) => {
                        let outs = step_outputs
                            .get(step_id.as_str())
                            .cloned()
                            .unwrap_or_default();
                        let known = outs
                            .iter()
                            .any(|o| *o == output || output.starts_with(&format!("{o}.")));
                        if !known {
                            let mut diag = Diagnostic::warning(
                                Code::UnknownOutput,
                                format!("step `{step_id}` declares no output `{output}`, so `{e}` is never set"),
                            )
                            .at(loc.clone());
                            if let Some(close) =
                                arazzo_model::suggest::closest(output, outs.iter().copied())
                            {
                                diag = diag.hint(format!("did you mean `{close}`?"));
                            }
                            self.diags.push(diag);
                        }
                        if let Some(i) = in_step
                            && target >= i
                            && !reachable_again(plan, target, i)
                        {
                            // Arazzo 1.1: tools SHOULD reject forward output
                            // references when no dependsOn is present.
                            let strict = doc.version >= Version::V1_1
                                && wf.steps.get(i).is_some_and(|s| s.depends_on.is_empty());
                            let diag = if strict {
                                Diagnostic::error
                            } else {
                                Diagnostic::warning
                            };
                            self.diags.push(
                                diag(
                                    Code::ForwardReference,
                                    format!(
                                        "`{e}` is read by step `{}` before step `{step_id}` can have run",
                                        plan.steps[i].id
                                    ),
                                )
                                .at(loc),
                            );
                        }
                    }
                },
                Expression::Inputs { name, .. } => {
                    if let Some(declared) = &declared_inputs {
                        let ok = declared
                            .iter()
                            .any(|n| n == name || name.starts_with(&format!("{n}.")));
                        if !ok {
                            let mut diag = Diagnostic::warning(
                                Code::UnknownInput,
                                format!("workflow `{}` declares no input `{name}`", wf.workflow_id),
                            )
                            .at(loc);
                            if let Some(close) = arazzo_model::suggest::closest(
                                name,
                                declared.iter().map(String::as_str),
                            ) {
                                diag = diag.hint(format!("did you mean `{close}`?"));
                            }
                            self.diags.push(diag);
                        }
                    }
                }
                Expression::Workflows {
                    workflow_id,
                    field,
                    name,
                    ..
                } => {
                    let found = self.wf_index.get(&(d, workflow_id.clone())).or_else(|| {
                        self.wf_index
                            .iter()
                            .find(|((_, id), _)| id == workflow_id)
                            .map(|(_, i)| i)
                    });
                    match found {
                        None => {
                            self.diags.push(
                            Diagnostic::error(
                                Code::UnknownWorkflow,
                                format!("`{e}` refers to workflow `{workflow_id}`, which this document does not have"),
                            )
                            .at(loc),
                        );
                        }
                        Some(_) => {
                            if *field == WorkflowField::Outputs {
                                let target = doc.workflow(workflow_id);
                                if let Some(t) = target
                                    && !t
                                        .outputs
                                        .keys()
                                        .any(|o| o == name || name.starts_with(&format!("{o}.")))
                                {
                                    self.diags.push(
                                    Diagnostic::warning(
                                        Code::UnknownOutput,
                                        format!("workflow `{workflow_id}` declares no output `{name}`"),
                                    )
                                    .at(loc),
                                );
                                }
                            }
                        }
                    }
                }
                Expression::SourceDescriptions { name, .. }
                    if doc.source_description(name).is_none() =>
                {
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownSource,
                            format!("there is no source description `{name}`"),
                        )
                        .at(loc),
                    );
                }
                Expression::Components { kind, name } => {
                    let exists = match kind {
                        arazzo_expr::ComponentKind::Parameters => {
                            doc.components.parameters.contains_key(name)
                        }
                        arazzo_expr::ComponentKind::SuccessActions => {
                            doc.components.success_actions.contains_key(name)
                        }
                        arazzo_expr::ComponentKind::FailureActions => {
                            doc.components.failure_actions.contains_key(name)
                        }
                    };
                    if !exists {
                        self.diags.push(
                            Diagnostic::error(
                                Code::UnknownComponent,
                                format!("there is no component `{name}` in `components.{kind}`"),
                            )
                            .at(loc),
                        );
                    }
                }
                Expression::MessageHeader { .. } | Expression::MessagePayload { .. } => {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::Unsupported,
                            format!("`{e}` refers to an AsyncAPI message, which arazzo-run does not execute"),
                        )
                        .at(loc),
                    );
                }
                Expression::Url
                | Expression::Method
                | Expression::StatusCode
                | Expression::RequestHeader { .. }
                | Expression::RequestQuery { .. }
                | Expression::RequestPath { .. }
                | Expression::RequestBody { .. }
                | Expression::ResponseHeader { .. }
                | Expression::ResponseBody { .. }
                    if in_step.is_none() =>
                {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::ExpressionScope,
                            format!("`{e}` has no meaning in workflow outputs: there is no current request or response"),
                        )
                        .at(loc)
                        .hint("store the value in a step output and refer to it with `$steps.<stepId>.outputs.<name>`"),
                    );
                }
                _ => {}
            }
        }
        let _ = Span::default();
    }
}

/// An expression found in a workflow: the pointer of the string it is in,
/// the expression, its span in the string, and the index of its step.
type FoundExpression = (String, Expression, Option<Range<usize>>, Option<usize>);

/// Whether step `target` (at or after `reader`) can run before `reader` runs
/// again, through a goto or retry back to an earlier step.
fn reachable_again(plan: &WorkflowPlan, target: usize, reader: usize) -> bool {
    plan.steps.iter().enumerate().skip(target).any(|(_, s)| {
        s.on_success
            .iter()
            .chain(s.on_failure.iter())
            .any(|a| match &a.kind {
                ActionKind::GotoStep(to) => *to <= reader,
                ActionKind::Retry {
                    via: Some(Via::Step(to)),
                    ..
                } => *to <= reader,
                _ => false,
            })
    })
}

/// Every expression a criterion reads.
fn criterion_expressions(c: &Criterion) -> Vec<Expression> {
    let mut out = Vec::new();
    if let Some(ctx) = c.context() {
        out.push(ctx.expression.clone());
    }
    if let Some(cond) = c.simple_condition() {
        out.extend(cond.expressions().map(|l| l.expression.clone()));
    }
    if let Some(t) = c.condition_template() {
        out.extend(t.expressions().map(|l| l.expression.clone()));
    }
    out
}

/// A JavaScript-style "JSONPath" comparison (`$.a.b[0].length > 0`,
/// `$.status == 'pending' || $.status == 'processing'`) as a `simple`
/// condition on `context` (`$response.body.a.b[0].length > 0`): every `$`
/// that starts plain navigation (names, indices, `.length`) becomes the
/// context. `None` when the condition has no comparison, uses real JSONPath
/// (`?`, `@`, `..`, `*`) or navigates in any other way.
fn js_comparison(context: &str, condition: &str) -> Option<String> {
    let c = condition.trim();
    let bytes = c.as_bytes();
    let mut out = String::with_capacity(c.len() + 32);
    let (mut quote, mut rewrote, mut compares) = (None::<u8>, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
        } else {
            match b {
                b'\'' | b'"' => quote = Some(b),
                b'?' | b'@' | b'*' => return None,
                b'=' | b'!' | b'<' | b'>' => compares = true,
                b'$' if matches!(bytes.get(i + 1), Some(b'.' | b'[')) => {
                    let len = navigation(&c[i + 1..])?;
                    out.push_str(context.trim());
                    out.push_str(&c[i + 1..i + 1 + len]);
                    rewrote = true;
                    i += 1 + len;
                    continue;
                }
                _ => {}
            }
        }
        // Copy the whole (possibly multi-byte) character.
        let ch_len = c[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&c[i..i + ch_len]);
        i += ch_len;
    }
    (rewrote && compares).then_some(out)
}

/// The length of the plain navigation (`.name`, `[n]`, `['name']`) at the
/// start of `p`; `None` when it is something else (`..`, `.*`, filters).
fn navigation(p: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let r = &p[at..];
        if let Some(after) = r.strip_prefix('.') {
            let n = after
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
                .unwrap_or(after.len());
            if n == 0 {
                return None;
            }
            at += 1 + n;
        } else if let Some(after) = r.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = &after[..end];
            let ok = (!inside.is_empty() && inside.chars().all(|ch| ch.is_ascii_digit()))
                || (inside.len() >= 2 && inside.starts_with('\'') && inside.ends_with('\''));
            if !ok {
                return None;
            }
            at += end + 2;
        } else {
            return (at > 0).then_some(at);
        }
    }
}

/// `N` from a condition of the form `$statusCode == N` (either side).
fn expected_status(condition: &str) -> Option<u16> {
    let c = condition.trim();
    let (l, r) = c.split_once("==")?;
    let (l, r) = (l.trim(), r.trim());
    let n = if l == "$statusCode" {
        r
    } else if r == "$statusCode" {
        l
    } else {
        return None;
    };
    n.parse().ok()
}

/// A step's own actions, then its workflow's that it does not override by
/// name, with Reusable Objects of `kind` resolved in `components` (a reference
/// that does not resolve is reported by the validator and left out here).
fn merged_actions<'x>(
    own: &'x [ActionRef],
    workflow: &'x [ActionRef],
    kind: ComponentKind,
    components: &'x IndexMap<String, Action>,
) -> Vec<&'x Action> {
    let mut list: Vec<&'x Action> = Vec::new();
    for a in own.iter().chain(workflow) {
        let action = match a {
            ActionRef::Inline(x) => Some(x),
            ActionRef::Reusable(r) => parse_component_reference(&r.reference)
                .filter(|(k, _)| *k == kind)
                .and_then(|(_, n)| components.get(n)),
        };
        if let Some(x) = action
            && !list.iter().any(|e| e.name == x.name)
        {
            list.push(x);
        }
    }
    list
}

/// The single `type` an inputs schema declares (following one `$ref` into
/// `components.inputs`); `None` when it declares none or several.
fn inputs_type<'v>(schema: Option<&'v Value>, components: Option<&'v Value>) -> Option<&'v str> {
    let mut schema = schema?;
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/inputs/"))
    {
        schema = components?.get("inputs")?.get(name)?;
    }
    schema.get("type")?.as_str()
}

/// The operation's own server, when it declares one different from the description's.
fn operation_server(api: &OpenApi, op: &arazzo_openapi::Operation) -> Option<url::Url> {
    let declared = api.doc.value.get("servers").and_then(Value::as_array);
    let first = op.servers.first()?;
    let same = declared
        .and_then(|a| a.first())
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        == Some(first.url.as_str());
    if same || api.version == arazzo_openapi::Version::Swagger2 {
        return None;
    }
    first.resolve(&api.url, &IndexMap::new()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_style_jsonpath_comparisons() {
        assert_eq!(
            js_comparison("$response.body", "$.data.length > 0").as_deref(),
            Some("$response.body.data.length > 0")
        );
        assert_eq!(
            js_comparison("$response.body", "$.ok == true").as_deref(),
            Some("$response.body.ok == true")
        );
        assert_eq!(
            js_comparison("$response.body", "$.items[0].status == 'done'").as_deref(),
            Some("$response.body.items[0].status == 'done'")
        );
        assert_eq!(js_comparison("$response.body", "$[?@.a == 1]"), None);
        assert_eq!(js_comparison("$response.body", "$..a == 1"), None);
        assert_eq!(js_comparison("$response.body", "$.items"), None);
        assert_eq!(
            js_comparison(
                "$response.body",
                "$.status == 'pending' || $.status == 'processing'"
            )
            .as_deref(),
            Some("$response.body.status == 'pending' || $response.body.status == 'processing'")
        );
        assert_eq!(
            js_comparison("$response.body", "($.n > 1) && $.name != '$.x'").as_deref(),
            Some("($response.body.n > 1) && $response.body.name != '$.x'")
        );
        assert_eq!(
            js_comparison("$response.body", "$.id == $inputs.id").as_deref(),
            Some("$response.body.id == $inputs.id")
        );
        assert_eq!(js_comparison("$response.body", "$.a.* == 1"), None);
    }

    #[test]
    fn expected_status_from_conditions() {
        assert_eq!(expected_status("$statusCode == 201"), Some(201));
        assert_eq!(expected_status("200 == $statusCode"), Some(200));
        assert_eq!(expected_status("$statusCode == 200 && x"), None);
        assert_eq!(expected_status("$response.body#/a == 1"), None);
    }
}
