//! Referential checks that need nothing but the document: unique ids,
//! goto/dependsOn targets, component references, dependency cycles,
//! parameter locations, and control flow that cannot do what it seems to.
//!
//! Checks that need runtime expressions or the source descriptions (every
//! expression parses, `$steps.x` names a step, operations resolve) run in
//! the engine's compile step, which reports through the same
//! [`Diagnostic`] type.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::load::Part;
use crate::model::*;

/// A reference to a component: `$components.<kind>.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    /// `$components.parameters.<name>`.
    Parameters,
    /// `$components.successActions.<name>`.
    SuccessActions,
    /// `$components.failureActions.<name>`.
    FailureActions,
    /// `$components.inputs.<name>` (not a valid Reusable target; inputs use `$ref`).
    Inputs,
}

impl ComponentKind {
    /// The field name under `components`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Parameters => "parameters",
            ComponentKind::SuccessActions => "successActions",
            ComponentKind::FailureActions => "failureActions",
            ComponentKind::Inputs => "inputs",
        }
    }
}

/// Splits a Reusable Object's `reference` into its kind and name.
pub fn parse_component_reference(reference: &str) -> Option<(ComponentKind, &str)> {
    let rest = reference.strip_prefix("$components.")?;
    let (kind, name) = rest.split_once('.')?;
    let kind = match kind {
        "parameters" => ComponentKind::Parameters,
        "successActions" => ComponentKind::SuccessActions,
        "failureActions" => ComponentKind::FailureActions,
        "inputs" => ComponentKind::Inputs,
        _ => return None,
    };
    (!name.is_empty()).then_some((kind, name))
}

/// Where a `workflowId` (of a step, an action or `dependsOn`) points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowRef<'a> {
    /// A workflow of this document.
    Local(&'a str),
    /// `$sourceDescriptions.<source>.<workflowId>`: a workflow of another Arazzo document.
    External {
        /// The source description name.
        source: &'a str,
        /// The workflowId in that document.
        workflow: &'a str,
    },
}

/// Reads a `workflowId` value.
pub fn parse_workflow_ref(s: &str) -> WorkflowRef<'_> {
    if let Some(rest) = s.strip_prefix("$sourceDescriptions.")
        && let Some((source, workflow)) = rest.split_once('.')
    {
        return WorkflowRef::External { source, workflow };
    }
    WorkflowRef::Local(s)
}

/// Runs every document-only check.
pub fn validate(doc: &Document) -> Vec<Diagnostic> {
    let mut v = Validator {
        doc,
        diags: Vec::new(),
    };
    v.unique_ids();
    v.components();
    for wf in &doc.workflows {
        v.workflow(wf);
    }
    v.dependency_cycles();
    v.diags
}

struct Validator<'a> {
    doc: &'a Document,
    diags: Vec<Diagnostic>,
}

/// What kind of list a parameter or action appears in, for context-sensitive rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    OperationStep,
    WorkflowStep,
    OtherStep,
    Workflow,
    Action,
}

impl<'a> Validator<'a> {
    fn error(&self, code: Code, pointer: &str, part: Part, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, msg).at(self.doc.locate(pointer, part))
    }

    fn warning(&self, code: Code, pointer: &str, part: Part, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(code, msg).at(self.doc.locate(pointer, part))
    }

    fn unique_ids(&mut self) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for s in &self.doc.source_descriptions {
            if s.name.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(&s.name, &s.path) {
                let d = self
                    .error(
                        Code::DuplicateSourceName,
                        &format!("{}/name", s.path),
                        Part::Value,
                        format!("two source descriptions are named `{}`", s.name),
                    )
                    .note("first defined here", self.doc.field(first, "name"));
                self.diags.push(d);
            }
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for w in &self.doc.workflows {
            if w.workflow_id.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(&w.workflow_id, &w.path) {
                let d = self
                    .error(
                        Code::DuplicateWorkflowId,
                        &format!("{}/workflowId", w.path),
                        Part::Value,
                        format!("two workflows have the workflowId `{}`", w.workflow_id),
                    )
                    .note("first defined here", self.doc.field(first, "workflowId"))
                    .hint("workflowIds must be unique within a document");
                self.diags.push(d);
            }
        }
    }

    fn components(&mut self) {
        let c = &self.doc.components;
        for a in c.success_actions.values() {
            self.check_params(&a.parameters, Owner::Action);
        }
        for a in c.failure_actions.values() {
            self.check_params(&a.parameters, Owner::Action);
        }
        for a in c.success_actions.values() {
            if let Some(w) = &a.workflow_id {
                self.workflow_ref(w, &format!("{}/workflowId", a.path));
            }
        }
        for a in c.failure_actions.values() {
            if let Some(w) = &a.workflow_id {
                self.workflow_ref(w, &format!("{}/workflowId", a.path));
            }
        }
    }

    fn workflow(&mut self, wf: &'a Workflow) {
        // Unique step ids.
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for s in &wf.steps {
            if s.step_id.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(&s.step_id, &s.path) {
                let d = self
                    .error(
                        Code::DuplicateStepId,
                        &format!("{}/stepId", s.path),
                        Part::Value,
                        format!(
                            "workflow `{}` has two steps with the stepId `{}`",
                            wf.workflow_id, s.step_id
                        ),
                    )
                    .note("first defined here", self.doc.field(first, "stepId"));
                self.diags.push(d);
            }
        }
        self.check_params(&wf.parameters, Owner::Workflow);
        self.check_actions(wf, &wf.success_actions, &wf.failure_actions);
        if let Some(schema) = &wf.inputs {
            self.input_refs(schema, &format!("{}/inputs", wf.path));
        }
        for (i, dep) in wf.depends_on.iter().enumerate() {
            let p = format!("{}/dependsOn/{i}", wf.path);
            if dep == &wf.workflow_id {
                let d = self.error(
                    Code::DependencyCycle,
                    &p,
                    Part::Value,
                    format!("workflow `{dep}` depends on itself"),
                );
                self.diags.push(d);
            } else {
                self.workflow_ref(dep, &p);
            }
        }
        // Workflow-level parameters without `in` reach every operation step.
        let op_steps: Vec<&Step> = wf
            .steps
            .iter()
            .filter(|s| s.target.is_operation())
            .collect();
        if let Some(first_op) = op_steps.first() {
            for p in &wf.parameters {
                let (param, at) = match p {
                    ParameterRef::Inline(param) => (Some(param), param.path.as_str()),
                    ParameterRef::Reusable(r) => (self.component_parameter(r), r.path.as_str()),
                };
                if let Some(param) = param
                    && param.location.is_none()
                {
                    let d = self
                        .error(
                            Code::ParameterIn,
                            at,
                            Part::Value,
                            format!(
                                "workflow parameter `{}` has no `in`, but applies to operation step `{}`",
                                param.name, first_op.step_id
                            ),
                        )
                        .hint("parameters passed to an operation must say where they go: `in: path|query|header|cookie`");
                    self.diags.push(d);
                }
            }
        }
        for (idx, step) in wf.steps.iter().enumerate() {
            let owner = match &step.target {
                StepTarget::OperationId(_) | StepTarget::OperationPath(_) => Owner::OperationStep,
                StepTarget::WorkflowId(_) => Owner::WorkflowStep,
                _ => Owner::OtherStep,
            };
            self.check_params(&step.parameters, owner);
            if let StepTarget::WorkflowId(w) = &step.target {
                self.workflow_ref(w, &format!("{}/workflowId", step.path));
            }
            if let Some(list) = &step.on_success {
                self.check_actions_list(wf, list, "onSuccess");
                self.control_flow(wf, idx, list);
            }
            if let Some(list) = &step.on_failure {
                self.check_actions_list(wf, list, "onFailure");
            }
            for (i, dep) in step.depends_on.iter().enumerate() {
                self.step_dependency(wf, dep, &format!("{}/dependsOn/{i}", step.path));
            }
        }
    }

    /// Resolves a Reusable parameter reference to the component, if it exists.
    fn component_parameter(&self, r: &Reusable) -> Option<&'a Parameter> {
        let (kind, name) = parse_component_reference(&r.reference)?;
        (kind == ComponentKind::Parameters)
            .then(|| self.doc.components.parameters.get(name))
            .flatten()
    }

    fn check_reference(&mut self, r: &Reusable, expected: ComponentKind) -> bool {
        let at = format!("{}/reference", r.path);
        let Some((kind, name)) = parse_component_reference(&r.reference) else {
            let d = self
                .error(
                    Code::UnknownComponent,
                    &at,
                    Part::Value,
                    format!("`{}` is not a component reference", r.reference),
                )
                .hint(format!("write `$components.{}.<name>`", expected.as_str()));
            self.diags.push(d);
            return false;
        };
        if kind != expected {
            let d = self
                .error(
                    Code::ComponentKind,
                    &at,
                    Part::Value,
                    format!(
                        "this list needs {} but `{}` refers to {}",
                        expected.as_str(),
                        r.reference,
                        kind.as_str()
                    ),
                )
                .hint(format!(
                    "refer to `$components.{}.<name>`",
                    expected.as_str()
                ));
            self.diags.push(d);
            return false;
        }
        let c = &self.doc.components;
        let names: Vec<&str> = match kind {
            ComponentKind::Parameters => c.parameters.keys().map(String::as_str).collect(),
            ComponentKind::SuccessActions => c.success_actions.keys().map(String::as_str).collect(),
            ComponentKind::FailureActions => c.failure_actions.keys().map(String::as_str).collect(),
            ComponentKind::Inputs => c.inputs.keys().map(String::as_str).collect(),
        };
        if !names.contains(&name) {
            let mut d = self.error(
                Code::UnknownComponent,
                &at,
                Part::Value,
                format!(
                    "there is no component `{name}` in `components.{}`",
                    kind.as_str()
                ),
            );
            if let Some(close) = crate::parse::closest(name, names.iter().copied()) {
                d = d.hint(format!(
                    "did you mean `$components.{}.{close}`?",
                    kind.as_str()
                ));
            } else if names.is_empty() {
                d = d.hint(format!(
                    "the document defines no `components.{}`",
                    kind.as_str()
                ));
            }
            self.diags.push(d);
            return false;
        }
        if kind != ComponentKind::Parameters && r.value.is_some() {
            let d = self.warning(
                Code::IneffectiveField,
                &format!("{}/value", r.path),
                Part::Key,
                "`value` only applies to references to parameters",
            );
            self.diags.push(d);
        }
        true
    }

    fn check_params(&mut self, params: &[ParameterRef], owner: Owner) {
        let mut seen: HashMap<(String, Option<ParameterIn>), String> = HashMap::new();
        for p in params {
            let (param, at) = match p {
                ParameterRef::Inline(param) => (Some(param), param.path.clone()),
                ParameterRef::Reusable(r) => {
                    let ok = self.check_reference(r, ComponentKind::Parameters);
                    (
                        if ok {
                            self.component_parameter(r)
                        } else {
                            None
                        },
                        r.path.clone(),
                    )
                }
            };
            let Some(param) = param else { continue };
            match (owner, param.location) {
                (Owner::OperationStep, None) => {
                    let d = self
                        .error(
                            Code::ParameterIn,
                            &at,
                            Part::Value,
                            format!(
                                "parameter `{}` of an operation step has no `in`",
                                param.name
                            ),
                        )
                        .hint("say where it goes: `in: path`, `query`, `header` or `cookie`");
                    self.diags.push(d);
                }
                (Owner::WorkflowStep | Owner::Action, Some(loc)) => {
                    let d = self
                        .warning(
                            Code::IneffectiveField,
                            &format!("{}/in", param.path),
                            Part::Key,
                            format!(
                                "`in: {}` is ignored: parameters passed to a workflow become its inputs",
                                loc.as_str()
                            ),
                        );
                    self.diags.push(d);
                }
                _ => {}
            }
            let key = (param.name.clone(), param.location);
            if let Some(first) = seen.get(&key) {
                let d = self
                    .error(
                        Code::DuplicateParameter,
                        &at,
                        Part::Value,
                        format!(
                            "parameter `{}`{} is listed twice",
                            param.name,
                            param
                                .location
                                .map(|l| format!(" (in: {})", l.as_str()))
                                .unwrap_or_default()
                        ),
                    )
                    .note("first listed here", self.doc.locate(first, Part::Value));
                self.diags.push(d);
                continue;
            }
            // Arazzo names are case-sensitive, but HTTP header names are not
            // (RFC 9110): two spellings of one header reach the server as one.
            if param.location == Some(ParameterIn::Header)
                && let Some(((other, _), first)) = seen.iter().find(|((n, l), _)| {
                    *l == Some(ParameterIn::Header) && n.eq_ignore_ascii_case(&param.name)
                })
            {
                let d = self
                    .warning(
                        Code::DuplicateParameter,
                        &at,
                        Part::Value,
                        format!(
                            "headers `{other}` and `{}` differ only in case; HTTP treats them as one header, and the later one wins",
                            param.name
                        ),
                    )
                    .note("first listed here", self.doc.locate(first, Part::Value));
                self.diags.push(d);
            }
            seen.insert(key, at);
        }
    }

    fn check_actions(
        &mut self,
        wf: &Workflow,
        success: &[ActionRef<SuccessAction>],
        failure: &[ActionRef<FailureAction>],
    ) {
        self.check_actions_list(wf, success, "successActions");
        self.check_actions_list(wf, failure, "failureActions");
    }

    fn check_actions_list<T: Action>(&mut self, wf: &Workflow, list: &[ActionRef<T>], what: &str) {
        let mut seen: HashMap<String, String> = HashMap::new();
        for a in list {
            let (action, at): (Option<&T>, String) = match a {
                ActionRef::Inline(a) => (Some(a), a.path().to_string()),
                ActionRef::Reusable(r) => {
                    let ok = self.check_reference(r, T::KIND);
                    let resolved = if ok {
                        parse_component_reference(&r.reference)
                            .and_then(|(_, n)| T::component(self.doc, n))
                    } else {
                        None
                    };
                    (resolved, r.path.clone())
                }
            };
            let Some(action) = action else { continue };
            if let Some(first) = seen.get(action.name()) {
                let d = self
                    .error(
                        Code::DuplicateAction,
                        &at,
                        Part::Value,
                        format!("`{what}` lists two actions named `{}`", action.name()),
                    )
                    .note("first listed here", self.doc.locate(first, Part::Value));
                self.diags.push(d);
            } else if !action.name().is_empty() {
                seen.insert(action.name().to_string(), at.clone());
            }
            if let Some(step) = action.step_id()
                && wf.step(step).is_none()
            {
                let mut d = self.error(
                    Code::UnknownStep,
                    &format!("{}/stepId", action.path()),
                    Part::Value,
                    format!("workflow `{}` has no step `{step}`", wf.workflow_id),
                );
                if action.path() != at {
                    d = d.note("used by this step", self.doc.locate(&at, Part::Value));
                }
                if let Some(close) =
                    crate::parse::closest(step, wf.steps.iter().map(|s| s.step_id.as_str()))
                {
                    d = d.hint(format!("did you mean `{close}`?"));
                }
                self.diags.push(d);
            }
            if let Some(w) = action.workflow_id()
                && action.path() == at
            {
                self.workflow_ref(w, &format!("{}/workflowId", action.path()));
            }
            if action.path() == at {
                self.check_params(action.parameters(), Owner::Action);
            }
        }
    }

    /// Checks a `workflowId` reference (of a step, an action, or `dependsOn`).
    fn workflow_ref(&mut self, w: &str, at: &str) {
        match parse_workflow_ref(w) {
            WorkflowRef::Local(id) => {
                if self.doc.workflow(id).is_none() {
                    let mut d = self.error(
                        Code::UnknownWorkflow,
                        at,
                        Part::Value,
                        format!("there is no workflow `{id}` in this document"),
                    );
                    if let Some(close) = crate::parse::closest(
                        id,
                        self.doc.workflows.iter().map(|w| w.workflow_id.as_str()),
                    ) {
                        d = d.hint(format!("did you mean `{close}`?"));
                    } else if id.starts_with('$') {
                        d = d.hint("workflows of other documents are written `$sourceDescriptions.<name>.<workflowId>`");
                    }
                    self.diags.push(d);
                }
            }
            WorkflowRef::External { source, .. } => match self.doc.source_description(source) {
                None => {
                    let d = self
                        .error(
                            Code::UnknownSource,
                            at,
                            Part::Value,
                            format!("there is no source description `{source}`"),
                        )
                        .hint("list the other Arazzo document under `sourceDescriptions` with `type: arazzo`");
                    self.diags.push(d);
                }
                Some(s) if matches!(s.kind, Some(SourceKind::OpenApi | SourceKind::AsyncApi)) => {
                    let d = self.error(
                        Code::SourceType,
                        at,
                        Part::Value,
                        format!(
                            "`{source}` is an {} source; workflows live in `arazzo` sources",
                            s.kind.map(SourceKind::as_str).unwrap_or("openapi")
                        ),
                    );
                    self.diags.push(d);
                }
                Some(_) => {}
            },
        }
    }

    /// A step-level `dependsOn` entry (1.1).
    fn step_dependency(&mut self, wf: &Workflow, dep: &str, at: &str) {
        if let Some(rest) = dep.strip_prefix("$workflows.") {
            let Some((w, s)) = rest.split_once(".steps.") else {
                let d = self
                    .error(
                        Code::InvalidValue,
                        at,
                        Part::Value,
                        format!("`{dep}` is not a step reference"),
                    )
                    .hint("write a stepId, or `$workflows.<workflowId>.steps.<stepId>`");
                self.diags.push(d);
                return;
            };
            match self.doc.workflow(w) {
                None => {
                    let d = self.error(
                        Code::UnknownWorkflow,
                        at,
                        Part::Value,
                        format!("there is no workflow `{w}` in this document"),
                    );
                    self.diags.push(d);
                }
                Some(other) if other.step(s).is_none() => {
                    let d = self.error(
                        Code::UnknownStep,
                        at,
                        Part::Value,
                        format!("workflow `{w}` has no step `{s}`"),
                    );
                    self.diags.push(d);
                }
                _ => {}
            }
        } else if let Some(rest) = dep.strip_prefix("$sourceDescriptions.") {
            let source = rest.split('.').next().unwrap_or_default();
            if self.doc.source_description(source).is_none() {
                let d = self.error(
                    Code::UnknownSource,
                    at,
                    Part::Value,
                    format!("there is no source description `{source}`"),
                );
                self.diags.push(d);
            }
        } else if wf.step(dep).is_none() {
            let d = self.error(
                Code::UnknownStep,
                at,
                Part::Value,
                format!("workflow `{}` has no step `{dep}`", wf.workflow_id),
            );
            self.diags.push(d);
        }
    }

    /// Every local `$ref` in an input schema must resolve inside the document.
    fn input_refs(&mut self, schema: &Value, path: &str) {
        let mut stack = vec![(schema, path.to_string())];
        while let Some((v, p)) = stack.pop() {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref")
                        && let Some(ptr) = r.strip_prefix('#')
                        && ptr.starts_with('/')
                        && self.doc.source.value.pointer(ptr).is_none()
                    {
                        let mut d = self.error(
                            Code::UnknownComponent,
                            &format!("{p}/$ref"),
                            Part::Value,
                            format!("`{r}` does not resolve in this document"),
                        );
                        if let Some(name) = ptr.strip_prefix("/components/inputs/")
                            && let Some(close) = crate::parse::closest(
                                name,
                                self.doc.components.inputs.keys().map(String::as_str),
                            )
                        {
                            d = d.hint(format!("did you mean `#/components/inputs/{close}`?"));
                        }
                        self.diags.push(d);
                    }
                    for (k, child) in m {
                        stack.push((child, format!("{p}/{}", crate::load::escape_token(k))));
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        stack.push((child, format!("{p}/{i}")));
                    }
                }
                _ => {}
            }
        }
    }

    /// Control flow that cannot do what it seems to: a conditional `goto` to
    /// the step that runs next anyway, which leaves the other case falling
    /// through into that same step.
    fn control_flow(&mut self, wf: &Workflow, idx: usize, list: &[ActionRef<SuccessAction>]) {
        let Some(next) = wf.steps.get(idx + 1) else {
            return;
        };
        let step = &wf.steps[idx];
        let inline: Vec<&SuccessAction> = list
            .iter()
            .filter_map(|a| match a {
                ActionRef::Inline(a) => Some(a),
                ActionRef::Reusable(r) => parse_component_reference(&r.reference)
                    .and_then(|(_, n)| self.doc.components.success_actions.get(n)),
            })
            .collect();
        let to_next = |a: &&SuccessAction| {
            a.kind == SuccessKind::Goto && a.step_id.as_deref() == Some(next.step_id.as_str())
        };
        for a in inline
            .iter()
            .filter(|a| to_next(a) && a.criteria.is_empty())
        {
            let d = self.warning(
                Code::RedundantGoto,
                &format!("{}/stepId", a.path),
                Part::Value,
                format!(
                    "`{}` goes to `{}`, which runs next anyway",
                    a.name, next.step_id
                ),
            );
            self.diags.push(d);
        }
        // Every action leads to the next step, and some only when criteria
        // pass: the criteria change nothing, because the default when no
        // action matches is that same next step.
        if !inline.is_empty()
            && inline.iter().all(to_next)
            && let Some(guard) = inline.iter().find(|a| !a.criteria.is_empty())
        {
            let d = self
                .warning(
                    Code::UnguardedFallthrough,
                    &format!("{}/stepId", guard.path),
                    Part::Value,
                    format!(
                        "the guard `{}` is ineffective: when its criteria fail, no action of step `{}` matches and execution falls through to `{}` anyway",
                        guard.name, step.step_id, next.step_id
                    ),
                )
                .label(format!("`{}` runs whether or not these criteria pass", next.step_id))
                .hint("add an `end` action (or a goto elsewhere) to handle the case where the criteria fail");
            self.diags.push(d);
        }
    }

    fn dependency_cycles(&mut self) {
        let ids: HashSet<&str> = self
            .doc
            .workflows
            .iter()
            .map(|w| w.workflow_id.as_str())
            .collect();
        let edges: HashMap<&str, Vec<&str>> = self
            .doc
            .workflows
            .iter()
            .map(|w| {
                (
                    w.workflow_id.as_str(),
                    w.depends_on
                        .iter()
                        .filter_map(|d| match parse_workflow_ref(d) {
                            WorkflowRef::Local(id) if ids.contains(id) && id != w.workflow_id => {
                                Some(id)
                            }
                            _ => None,
                        })
                        .collect(),
                )
            })
            .collect();
        let mut reported: HashSet<Vec<&str>> = HashSet::new();
        for w in &self.doc.workflows {
            if let Some(cycle) = find_cycle(w.workflow_id.as_str(), &edges) {
                let mut key = cycle.clone();
                key.sort_unstable();
                key.dedup();
                if !reported.insert(key) {
                    continue;
                }
                let d = self
                    .error(
                        Code::DependencyCycle,
                        &format!("{}/dependsOn", w.path),
                        Part::Value,
                        format!(
                            "workflows depend on each other in a cycle: {}",
                            cycle.join(" → ")
                        ),
                    )
                    .hint("a workflow cannot run before itself; remove one of the dependencies");
                self.diags.push(d);
            }
        }
    }
}

/// A cycle through `start`, as the list of workflow ids from `start` back to it.
fn find_cycle<'a>(start: &'a str, edges: &HashMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    // Iterative DFS with an explicit path so deep graphs cannot overflow the stack.
    let mut path: Vec<(&str, usize)> = vec![(start, 0)];
    let mut on_path: HashSet<&str> = HashSet::from([start]);
    let mut done: HashSet<&str> = HashSet::new();
    while let Some((node, next)) = path.last().copied() {
        let succ = edges.get(node).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(&s) = succ.get(next) {
            if let Some(last) = path.last_mut() {
                last.1 += 1;
            }
            if s == start {
                let mut cycle: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
                cycle.push(start);
                return Some(cycle);
            }
            if !on_path.contains(s) && !done.contains(s) {
                on_path.insert(s);
                path.push((s, 0));
            }
        } else {
            on_path.remove(node);
            done.insert(node);
            path.pop();
        }
    }
    None
}

/// What the list checks need from success and failure actions alike.
trait Action {
    const KIND: ComponentKind;
    fn name(&self) -> &str;
    fn path(&self) -> &str;
    fn step_id(&self) -> Option<&str>;
    fn workflow_id(&self) -> Option<&str>;
    fn parameters(&self) -> &[ParameterRef];
    fn component<'d>(doc: &'d Document, name: &str) -> Option<&'d Self>;
}

impl Action for SuccessAction {
    const KIND: ComponentKind = ComponentKind::SuccessActions;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn step_id(&self) -> Option<&str> {
        self.step_id.as_deref()
    }
    fn workflow_id(&self) -> Option<&str> {
        self.workflow_id.as_deref()
    }
    fn parameters(&self) -> &[ParameterRef] {
        &self.parameters
    }
    fn component<'d>(doc: &'d Document, name: &str) -> Option<&'d Self> {
        doc.components.success_actions.get(name)
    }
}

impl Action for FailureAction {
    const KIND: ComponentKind = ComponentKind::FailureActions;
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn step_id(&self) -> Option<&str> {
        self.step_id.as_deref()
    }
    fn workflow_id(&self) -> Option<&str> {
        self.workflow_id.as_deref()
    }
    fn parameters(&self) -> &[ParameterRef] {
        &self.parameters
    }
    fn component<'d>(doc: &'d Document, name: &str) -> Option<&'d Self> {
        doc.components.failure_actions.get(name)
    }
}
