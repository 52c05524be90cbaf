//! Building the typed [`Document`] from a loaded value.
//!
//! The parser never stops at the first problem: each wrong type, missing
//! field or unknown field becomes a [`Diagnostic`] and parsing goes on with a
//! default, so one `validate` run reports everything. Structural rules that
//! concern a single object (required fields, types, enums, name patterns,
//! exactly one step target, `in` on operation parameters, …) are checked
//! here; rules that relate objects to each other live in [`crate::validate`].

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::diag::{Code, Diagnostic};
use crate::load::{Loaded, Part, escape_token};
use crate::model::*;

/// Parses a loaded document. Returns the document (`None` only when the
/// input is not an Arazzo document at all) and every structural finding.
pub fn parse(source: Loaded) -> (Option<Document>, Vec<Diagnostic>) {
    let mut p = Parser {
        src: &source,
        diags: Vec::new(),
        version: Version::V1_1,
    };
    let Some(root) = source.value.as_object() else {
        let d = p.diag(
            Code::NotArazzo,
            "",
            Part::Value,
            format!(
                "an Arazzo document must be an object, found {}",
                describe(&source.value)
            ),
        );
        return (
            None,
            vec![d.hint("an Arazzo document starts with `arazzo: 1.1.0`")],
        );
    };
    let Some(arazzo) = root.get("arazzo") else {
        let looks_like = ["openapi", "swagger", "asyncapi"]
            .into_iter()
            .find(|k| root.contains_key(*k));
        let mut d = p.diag(
            Code::NotArazzo,
            "",
            Part::Value,
            "this is not an Arazzo document: the `arazzo` field is missing",
        );
        d = match looks_like {
            Some(k) => d.hint(format!(
                "this looks like an {} description; it can be used as a source description of an Arazzo document",
                if k == "asyncapi" { "AsyncAPI" } else { "OpenAPI" }
            )),
            None => d.hint("an Arazzo document starts with `arazzo: 1.1.0`"),
        };
        return (None, vec![d]);
    };
    let arazzo_str = match arazzo {
        Value::String(s) => s.clone(),
        other => {
            let d = p
                .diag(
                    Code::WrongType,
                    "/arazzo",
                    Part::Value,
                    format!("`arazzo` must be a string, found {}", describe(other)),
                )
                .hint("quote the version, e.g. `arazzo: \"1.0.1\"`");
            p.diags.push(d);
            other.to_string()
        }
    };
    p.version = match Version::from_field(&arazzo_str) {
        Some(v) => v,
        None => {
            if arazzo.is_string() {
                let d = p
                    .diag(
                        Code::UnsupportedVersion,
                        "/arazzo",
                        Part::Value,
                        format!("unsupported Arazzo version `{arazzo_str}`"),
                    )
                    .label("expected 1.0.x or 1.1.x")
                    .hint(
                        "arazzo-run implements Arazzo 1.0.0, 1.0.1 and 1.1.0 (any patch version)",
                    );
                p.diags.push(d);
            }
            if arazzo_str.starts_with("1.0") {
                Version::V1_0
            } else {
                Version::V1_1
            }
        }
    };
    let doc = p.document(root, arazzo_str);
    let diags = p.diags;
    let doc = doc.map(|mut d| {
        d.source = source;
        d
    });
    (doc, diags)
}

/// A field an object may have, and the version that introduced it.
type Field = (&'static str, Version);

const V0: Version = Version::V1_0;
const V1: Version = Version::V1_1;

const ROOT_FIELDS: &[Field] = &[
    ("arazzo", V0),
    ("$self", V1),
    ("info", V0),
    ("sourceDescriptions", V0),
    ("workflows", V0),
    ("components", V0),
];
const INFO_FIELDS: &[Field] = &[
    ("title", V0),
    ("summary", V0),
    ("description", V0),
    ("version", V0),
];
const SOURCE_FIELDS: &[Field] = &[("name", V0), ("url", V0), ("type", V0)];
const WORKFLOW_FIELDS: &[Field] = &[
    ("workflowId", V0),
    ("summary", V0),
    ("description", V0),
    ("inputs", V0),
    ("dependsOn", V0),
    ("steps", V0),
    ("successActions", V0),
    ("failureActions", V0),
    ("outputs", V0),
    ("parameters", V0),
];
const STEP_FIELDS: &[Field] = &[
    ("stepId", V0),
    ("description", V0),
    ("operationId", V0),
    ("operationPath", V0),
    ("workflowId", V0),
    ("channelPath", V1),
    ("parameters", V0),
    ("requestBody", V0),
    ("successCriteria", V0),
    ("onSuccess", V0),
    ("onFailure", V0),
    ("outputs", V0),
    ("timeout", V1),
    ("dependsOn", V1),
    ("action", V1),
    ("correlationId", V1),
];
const PARAMETER_FIELDS: &[Field] = &[("name", V0), ("in", V0), ("value", V0)];
const SUCCESS_FIELDS: &[Field] = &[
    ("name", V0),
    ("type", V0),
    ("workflowId", V0),
    ("stepId", V0),
    ("criteria", V0),
    ("parameters", V1),
];
const FAILURE_FIELDS: &[Field] = &[
    ("name", V0),
    ("type", V0),
    ("workflowId", V0),
    ("stepId", V0),
    ("retryAfter", V0),
    ("retryLimit", V0),
    ("criteria", V0),
    ("parameters", V1),
];
const CRITERION_FIELDS: &[Field] = &[("context", V0), ("condition", V0), ("type", V0)];
const EXPRESSION_TYPE_FIELDS: &[Field] = &[("type", V0), ("version", V0)];
const BODY_FIELDS: &[Field] = &[("contentType", V0), ("payload", V0), ("replacements", V0)];
const REPLACEMENT_FIELDS: &[Field] = &[("target", V0), ("targetSelectorType", V1), ("value", V0)];
const COMPONENTS_FIELDS: &[Field] = &[
    ("inputs", V0),
    ("parameters", V0),
    ("successActions", V0),
    ("failureActions", V0),
];
const SELECTOR_FIELDS: &[Field] = &[("context", V1), ("selector", V1), ("type", V1)];

/// Names of workflows, steps and sources SHOULD match this.
pub fn is_strict_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Output and component keys MUST match `^[a-zA-Z0-9\.\-_]+$`.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Is this object a 1.1 Selector Object (`context`, `selector`, `type`)?
pub fn is_selector_object(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.contains_key("selector")
            && m.contains_key("context")
            && m.keys().all(|k| {
                k.starts_with("x-") || matches!(k.as_str(), "context" | "selector" | "type")
            })
    })
}

struct Parser<'a> {
    src: &'a Loaded,
    diags: Vec<Diagnostic>,
    version: Version,
}

/// Describes a JSON value's type for messages ("an object", "a string", …).
pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, field: &str) -> String {
    format!("{path}/{}", escape_token(field))
}

impl Parser<'_> {
    fn diag(&self, code: Code, pointer: &str, part: Part, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, msg).at(self.src.locate(pointer, part))
    }

    fn warn(&self, code: Code, pointer: &str, part: Part, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(code, msg).at(self.src.locate(pointer, part))
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Checks that `v` is an object; reports and returns `None` otherwise.
    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                let d = self.diag(
                    Code::WrongType,
                    path,
                    Part::Value,
                    format!("{what} must be an object, found {}", describe(other)),
                );
                self.push(d);
                None
            }
        }
    }

    /// Reports fields that the object does not define, and fields of a later version.
    fn check_fields(&mut self, map: &Map<String, Value>, path: &str, what: &str, known: &[Field]) {
        for key in map.keys() {
            if key.starts_with("x-") {
                continue;
            }
            match known.iter().find(|(name, _)| *name == key) {
                Some((_, since)) if *since > self.version => {
                    let d = self
                        .warn(
                            Code::VersionMismatch,
                            &join(path, key),
                            Part::Key,
                            format!(
                                "`{key}` is an Arazzo {} field, but this document declares {}",
                                since.as_str(),
                                self.version.as_str()
                            ),
                        )
                        .hint(format!(
                            "arazzo-run honours it; declare `arazzo: {}.0` to make the document portable",
                            since.as_str()
                        ));
                    self.push(d);
                }
                Some(_) => {}
                None => {
                    let mut d = self
                        .diag(
                            Code::UnknownField,
                            &join(path, key),
                            Part::Key,
                            format!("{what} has no field `{key}`"),
                        )
                        .label("unknown field");
                    if let Some(close) = closest(key, known.iter().map(|(n, _)| *n)) {
                        d = d.hint(format!("did you mean `{close}`?"));
                    } else {
                        d = d.hint(format!(
                            "the fields of {what} are {}; extensions must start with `x-`",
                            known
                                .iter()
                                .filter(|(_, v)| *v <= self.version)
                                .map(|(n, _)| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    self.push(d);
                }
            }
        }
    }

    fn missing(&mut self, path: &str, field: &str, what: &str) {
        let d = self
            .diag(
                Code::MissingField,
                path,
                Part::Value,
                format!("{what} is missing the required field `{field}`"),
            )
            .label(format!("`{field}` is required here"));
        self.push(d);
    }

    fn wrong_type(&mut self, path: &str, field: &str, expected: &str, found: &Value) {
        let d = self.diag(
            Code::WrongType,
            &join(path, field),
            Part::Value,
            format!("`{field}` must be {expected}, found {}", describe(found)),
        );
        self.push(d);
    }

    fn req_string(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        field: &str,
        what: &str,
    ) -> String {
        match map.get(field) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                self.wrong_type(path, field, "a string", other);
                scalar_text(other)
            }
            None => {
                self.missing(path, field, what);
                String::new()
            }
        }
    }

    fn opt_string(&mut self, map: &Map<String, Value>, path: &str, field: &str) -> Option<String> {
        match map.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong_type(path, field, "a string", other);
                Some(scalar_text(other))
            }
            None => None,
        }
    }

    /// A list field: returns (path, item) pairs; reports a non-list.
    fn list<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Vec<(String, &'v Value)> {
        match map.get(field) {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{}/{i}", join(path, field)), v))
                .collect(),
            Some(other) => {
                self.wrong_type(path, field, "a list", other);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn non_empty(&mut self, map: &Map<String, Value>, path: &str, field: &str, what: &str) {
        if let Some(Value::Array(items)) = map.get(field)
            && items.is_empty()
        {
            let d = self.diag(
                Code::EmptyList,
                &join(path, field),
                Part::Value,
                format!("`{field}` of {what} must have at least one entry"),
            );
            self.push(d);
        }
    }

    fn string_list(&mut self, map: &Map<String, Value>, path: &str, field: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (p, v) in self.list(map, path, field) {
            match v {
                Value::String(s) => out.push(s.clone()),
                other => {
                    let d = self.diag(
                        Code::WrongType,
                        &p,
                        Part::Value,
                        format!(
                            "entries of `{field}` must be strings, found {}",
                            describe(other)
                        ),
                    );
                    self.push(d);
                }
            }
        }
        out
    }

    fn extensions(map: &Map<String, Value>) -> Extensions {
        map.iter()
            .filter(|(k, _)| k.starts_with("x-"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn name_should_match(&mut self, path: &str, field: &str, value: &str, what: &str) {
        if !value.is_empty() && !is_strict_identifier(value) {
            let d = self
                .warn(
                    Code::InvalidName,
                    &join(path, field),
                    Part::Value,
                    format!("{what} `{value}` should match [A-Za-z0-9_-]+"),
                )
                .hint("runtime expressions cannot refer to names with other characters");
            self.push(d);
        }
    }

    fn document(&mut self, root: &Map<String, Value>, arazzo: String) -> Option<Document> {
        self.check_fields(root, "", "the Arazzo document", ROOT_FIELDS);
        let self_uri = self.opt_string(root, "", "$self");
        if let Some(s) = &self_uri
            && s.contains('#')
        {
            let d = self.diag(
                Code::InvalidValue,
                "/$self",
                Part::Value,
                "`$self` must not contain a fragment (`#…`)",
            );
            self.push(d);
        }
        let info = match root.get("info") {
            Some(v) => self.info(v),
            None => {
                self.missing("", "info", "the Arazzo document");
                Info::default()
            }
        };
        if !root.contains_key("sourceDescriptions") {
            self.missing("", "sourceDescriptions", "the Arazzo document");
        }
        self.non_empty(root, "", "sourceDescriptions", "the Arazzo document");
        let sources = self
            .list(root, "", "sourceDescriptions")
            .into_iter()
            .filter_map(|(p, v)| self.source_description(v, p))
            .collect();
        if !root.contains_key("workflows") {
            self.missing("", "workflows", "the Arazzo document");
        }
        self.non_empty(root, "", "workflows", "the Arazzo document");
        let workflows = self
            .list(root, "", "workflows")
            .into_iter()
            .filter_map(|(p, v)| self.workflow(v, p))
            .collect();
        let components = match root.get("components") {
            Some(v) => self.components(v),
            None => Components::default(),
        };
        Some(Document {
            source: Loaded {
                file: self.src.file.clone(),
                value: Value::Null,
                spans: Default::default(),
            },
            arazzo,
            version: self.version,
            self_uri,
            info,
            source_descriptions: sources,
            workflows,
            components,
            extensions: Self::extensions(root),
        })
    }

    fn info(&mut self, v: &Value) -> Info {
        let Some(m) = self.object(v, "/info", "`info`") else {
            return Info::default();
        };
        self.check_fields(m, "/info", "`info`", INFO_FIELDS);
        Info {
            title: self.req_string(m, "/info", "title", "`info`"),
            summary: self.opt_string(m, "/info", "summary"),
            description: self.opt_string(m, "/info", "description"),
            version: self.req_string(m, "/info", "version", "`info`"),
            extensions: Self::extensions(m),
        }
    }

    fn source_description(&mut self, v: &Value, path: String) -> Option<SourceDescription> {
        let what = "a source description";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, SOURCE_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        self.name_should_match(&path, "name", &name, "the source description name");
        let url = self.req_string(m, &path, "url", what);
        let kind = match self.opt_string(m, &path, "type") {
            Some(t) => match SourceKind::from_field(&t) {
                Some(SourceKind::AsyncApi) if self.version == Version::V1_0 => {
                    let d = self.warn(
                        Code::VersionMismatch,
                        &join(&path, "type"),
                        Part::Value,
                        "`asyncapi` sources are an Arazzo 1.1 feature",
                    );
                    self.push(d);
                    Some(SourceKind::AsyncApi)
                }
                Some(k) => Some(k),
                None => {
                    let d = self
                        .diag(
                            Code::InvalidValue,
                            &join(&path, "type"),
                            Part::Value,
                            format!("unknown source description type `{t}`"),
                        )
                        .hint("use `openapi`, `arazzo` or (1.1) `asyncapi`");
                    self.push(d);
                    None
                }
            },
            None => None,
        };
        Some(SourceDescription {
            name,
            url,
            kind,
            extensions: Self::extensions(m),
            path,
        })
    }

    fn workflow(&mut self, v: &Value, path: String) -> Option<Workflow> {
        let what = "a workflow";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, WORKFLOW_FIELDS);
        let workflow_id = self.req_string(m, &path, "workflowId", what);
        self.name_should_match(&path, "workflowId", &workflow_id, "the workflowId");
        let inputs = match m.get("inputs") {
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(Value::Bool(b)) => Some(Value::Bool(*b)),
            Some(other) => {
                self.wrong_type(&path, "inputs", "a JSON Schema object", other);
                None
            }
            None => None,
        };
        if !m.contains_key("steps") {
            self.missing(&path, "steps", what);
        }
        self.non_empty(m, &path, "steps", what);
        let steps = self
            .list(m, &path, "steps")
            .into_iter()
            .filter_map(|(p, v)| self.step(v, p))
            .collect();
        let depends_on = self.string_list(m, &path, "dependsOn");
        let success_actions = self.action_list(m, &path, "successActions", Self::success_action);
        let failure_actions = self.action_list(m, &path, "failureActions", Self::failure_action);
        let outputs = self.outputs(m, &path);
        let parameters = self.parameter_list(m, &path, "parameters");
        Some(Workflow {
            workflow_id,
            summary: self.opt_string(m, &path, "summary"),
            description: self.opt_string(m, &path, "description"),
            inputs,
            depends_on,
            steps,
            success_actions,
            failure_actions,
            outputs,
            parameters,
            extensions: Self::extensions(m),
            path,
        })
    }

    fn step(&mut self, v: &Value, path: String) -> Option<Step> {
        let what = "a step";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, STEP_FIELDS);
        let step_id = self.req_string(m, &path, "stepId", what);
        self.name_should_match(&path, "stepId", &step_id, "the stepId");
        let mut targets = Vec::new();
        for field in ["operationId", "operationPath", "workflowId", "channelPath"] {
            if let Some(s) = self.opt_string(m, &path, field) {
                targets.push(match field {
                    "operationId" => StepTarget::OperationId(s),
                    "operationPath" => StepTarget::OperationPath(s),
                    "workflowId" => StepTarget::WorkflowId(s),
                    _ => StepTarget::ChannelPath(s),
                });
            }
        }
        let target = match targets.len() {
            0 => {
                let d = self
                    .diag(
                        Code::StepTarget,
                        &path,
                        Part::Value,
                        format!("step `{step_id}` names no operation or workflow"),
                    )
                    .hint(if m.contains_key("x-operation") {
                        "`x-operation` is a Redocly Respect extension, not Arazzo; name the operation with `operationId` or `operationPath`"
                    } else {
                        "add exactly one of `operationId`, `operationPath` or `workflowId`"
                    });
                self.push(d);
                StepTarget::Missing
            }
            1 => targets.remove(0),
            _ => {
                let second = targets[1].field();
                let d = self
                    .diag(
                        Code::StepTarget,
                        &join(&path, second),
                        Part::Key,
                        format!(
                            "step `{step_id}` names more than one target: {}",
                            targets
                                .iter()
                                .map(|t| format!("`{}`", t.field()))
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    )
                    .hint("`operationId`, `operationPath` and `workflowId` are mutually exclusive");
                self.push(d);
                targets.remove(0)
            }
        };
        let parameters = self.parameter_list(m, &path, "parameters");
        let request_body = m
            .get("requestBody")
            .and_then(|v| self.request_body(v, join(&path, "requestBody")));
        if request_body.is_some() && matches!(target, StepTarget::WorkflowId(_)) {
            let d = self
                .warn(
                    Code::IneffectiveField,
                    &join(&path, "requestBody"),
                    Part::Key,
                    "a `requestBody` has no effect on a step that calls a workflow",
                )
                .hint("pass data to the workflow with `parameters` (they become its inputs)");
            self.push(d);
        }
        self.non_empty(m, &path, "successCriteria", what);
        let success_criteria = self.criteria(m, &path, "successCriteria");
        let on_success = m
            .contains_key("onSuccess")
            .then(|| self.action_list(m, &path, "onSuccess", Self::success_action));
        let on_failure = m
            .contains_key("onFailure")
            .then(|| self.action_list(m, &path, "onFailure", Self::failure_action));
        let outputs = self.outputs(m, &path);
        let timeout = match m.get("timeout") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(other) => {
                self.wrong_type(
                    &path,
                    "timeout",
                    "a non-negative integer (milliseconds)",
                    other,
                );
                None
            }
            None => None,
        };
        let action = match self.opt_string(m, &path, "action").as_deref() {
            None => None,
            Some("send") => Some(AsyncAction::Send),
            Some("receive") => Some(AsyncAction::Receive),
            Some(other) => {
                let d = self.diag(
                    Code::InvalidValue,
                    &join(&path, "action"),
                    Part::Value,
                    format!("unknown step action `{other}`; use `send` or `receive`"),
                );
                self.push(d);
                None
            }
        };
        let depends_on = self.string_list(m, &path, "dependsOn");
        Some(Step {
            step_id,
            description: self.opt_string(m, &path, "description"),
            target,
            parameters,
            request_body,
            success_criteria,
            on_success,
            on_failure,
            outputs,
            timeout,
            depends_on,
            action,
            correlation_id: self.opt_string(m, &path, "correlationId"),
            extensions: Self::extensions(m),
            path,
        })
    }

    fn outputs(&mut self, m: &Map<String, Value>, path: &str) -> IndexMap<String, Value> {
        let mut out = IndexMap::new();
        let Some(v) = m.get("outputs") else {
            return out;
        };
        let opath = join(path, "outputs");
        let Some(om) = self.object(v, &opath, "`outputs`") else {
            return out;
        };
        for (name, value) in om {
            let p = join(&opath, name);
            if !is_identifier(name) {
                let d = self
                    .diag(
                        Code::InvalidName,
                        &p,
                        Part::Key,
                        format!("output name `{name}` must match ^[a-zA-Z0-9.\\-_]+$"),
                    )
                    .label("invalid output name");
                self.push(d);
            }
            match value {
                Value::String(_) => {}
                Value::Object(_) if is_selector_object(value) => {
                    self.selector(value, &p);
                }
                other => {
                    let d = self
                        .diag(
                            Code::WrongType,
                            &p,
                            Part::Value,
                            format!(
                                "output `{name}` must be a runtime expression{}, found {}",
                                if self.version >= V1 { " or a Selector Object" } else { "" },
                                describe(other)
                            ),
                        )
                        .hint("outputs are computed from runtime expressions such as `$response.body#/id`");
                    self.push(d);
                }
            }
            out.insert(name.clone(), value.clone());
        }
        out
    }

    /// Checks a Selector Object's fields (1.1).
    fn selector(&mut self, v: &Value, path: &str) {
        let Some(m) = v.as_object() else { return };
        if self.version < V1 {
            let d = self.warn(
                Code::VersionMismatch,
                path,
                Part::Value,
                "Selector Objects are an Arazzo 1.1 feature",
            );
            self.push(d);
        }
        self.check_fields(m, path, "a selector", SELECTOR_FIELDS);
        self.req_string(m, path, "context", "a selector");
        self.req_string(m, path, "selector", "a selector");
        match m.get("type") {
            Some(t) => {
                let kind = self.expression_type(
                    t,
                    &join(path, "type"),
                    &["jsonpath", "xpath", "jsonpointer"],
                );
                if kind == Some(ExpressionType::Simple) || kind == Some(ExpressionType::Regex) {
                    let d = self.diag(
                        Code::InvalidValue,
                        &join(path, "type"),
                        Part::Value,
                        "a selector's `type` must be `jsonpath`, `xpath` or `jsonpointer`",
                    );
                    self.push(d);
                }
            }
            None => self.missing(path, "type", "a selector"),
        }
    }

    fn parameter_list(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Vec<ParameterRef> {
        self.list(m, path, field)
            .into_iter()
            .filter_map(|(p, v)| {
                let obj = self.object(v, &p, "a parameter")?;
                if obj.contains_key("reference") {
                    Some(ParameterRef::Reusable(self.reusable(obj, p)))
                } else {
                    self.parameter(v, p).map(ParameterRef::Inline)
                }
            })
            .collect()
    }

    fn reusable(&mut self, m: &Map<String, Value>, path: String) -> Reusable {
        let reference = self.req_string(m, &path, "reference", "a reusable object");
        for key in m.keys() {
            if key != "reference" && key != "value" {
                let d = self
                    .warn(
                        Code::IneffectiveField,
                        &join(&path, key),
                        Part::Key,
                        format!("`{key}` is ignored: a Reusable Object cannot be extended"),
                    )
                    .hint("a Reusable Object has only `reference` and (for parameters) `value`");
                self.push(d);
            }
        }
        Reusable {
            reference,
            value: m.get("value").cloned(),
            path,
        }
    }

    fn parameter(&mut self, v: &Value, path: String) -> Option<Parameter> {
        let what = "a parameter";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, PARAMETER_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        let location = match self.opt_string(m, &path, "in") {
            None => None,
            Some(s) => match ParameterIn::from_field(&s) {
                Some(ParameterIn::QueryString) if self.version < V1 => {
                    let d = self.warn(
                        Code::VersionMismatch,
                        &join(&path, "in"),
                        Part::Value,
                        "`in: querystring` is an Arazzo 1.1 feature",
                    );
                    self.push(d);
                    Some(ParameterIn::QueryString)
                }
                Some(ParameterIn::Body) => {
                    let d = self
                        .diag(
                            Code::InvalidValue,
                            &join(&path, "in"),
                            Part::Value,
                            "`in: body` was removed in Arazzo 1.0.1",
                        )
                        .hint("send the body with the step's `requestBody` instead");
                    self.push(d);
                    Some(ParameterIn::Body)
                }
                Some(loc) => Some(loc),
                None => {
                    let d = self
                        .diag(
                            Code::InvalidValue,
                            &join(&path, "in"),
                            Part::Value,
                            format!("unknown parameter location `{s}`"),
                        )
                        .hint("use `path`, `query`, `header`, `cookie` or (1.1) `querystring`");
                    self.push(d);
                    None
                }
            },
        };
        let value = match m.get("value") {
            Some(v) => {
                if is_selector_object(v) {
                    self.selector(v, &join(&path, "value"));
                }
                v.clone()
            }
            None => {
                self.missing(&path, "value", what);
                Value::Null
            }
        };
        Some(Parameter {
            name,
            location,
            value,
            extensions: Self::extensions(m),
            path,
        })
    }

    fn action_list<T>(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        field: &str,
        inline: fn(&mut Self, &Map<String, Value>, String) -> T,
    ) -> Vec<ActionRef<T>> {
        self.list(m, path, field)
            .into_iter()
            .filter_map(|(p, v)| {
                let obj = self.object(v, &p, "an action")?;
                Some(if obj.contains_key("reference") {
                    ActionRef::Reusable(self.reusable(obj, p))
                } else {
                    ActionRef::Inline(inline(self, obj, p))
                })
            })
            .collect()
    }

    fn success_action(&mut self, m: &Map<String, Value>, path: String) -> SuccessAction {
        let what = "a success action";
        self.check_fields(m, &path, what, SUCCESS_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        let kind = match self.req_string(m, &path, "type", what).as_str() {
            "end" => SuccessKind::End,
            "goto" => SuccessKind::Goto,
            "" => SuccessKind::End,
            other => {
                let d = self
                    .diag(
                        Code::InvalidValue,
                        &join(&path, "type"),
                        Part::Value,
                        format!("unknown success action type `{other}`"),
                    )
                    .hint(if other == "retry" {
                        "`retry` is a failure action; success actions are `end` or `goto`"
                    } else {
                        "success actions are `end` or `goto`"
                    });
                self.push(d);
                SuccessKind::End
            }
        };
        let step_id = self.opt_string(m, &path, "stepId");
        let workflow_id = self.opt_string(m, &path, "workflowId");
        self.check_action_target(
            &path,
            &name,
            kind == SuccessKind::Goto,
            &step_id,
            &workflow_id,
            "goto",
        );
        if m.get("criteria")
            .is_some_and(|c| c.as_array().is_some_and(Vec::is_empty))
        {
            self.non_empty(m, &path, "criteria", what);
        }
        let criteria = self.criteria(m, &path, "criteria");
        let parameters = self.action_parameters(m, &path, &workflow_id);
        SuccessAction {
            name,
            kind,
            step_id,
            workflow_id,
            criteria,
            parameters,
            extensions: Self::extensions(m),
            path,
        }
    }

    fn failure_action(&mut self, m: &Map<String, Value>, path: String) -> FailureAction {
        let what = "a failure action";
        self.check_fields(m, &path, what, FAILURE_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        let kind = match self.req_string(m, &path, "type", what).as_str() {
            "end" => FailureKind::End,
            "goto" => FailureKind::Goto,
            "retry" => FailureKind::Retry,
            "" => FailureKind::End,
            other => {
                let d = self
                    .diag(
                        Code::InvalidValue,
                        &join(&path, "type"),
                        Part::Value,
                        format!("unknown failure action type `{other}`"),
                    )
                    .hint("failure actions are `end`, `goto` or `retry`");
                self.push(d);
                FailureKind::End
            }
        };
        let step_id = self.opt_string(m, &path, "stepId");
        let workflow_id = self.opt_string(m, &path, "workflowId");
        match kind {
            FailureKind::Goto => {
                self.check_action_target(&path, &name, true, &step_id, &workflow_id, "goto")
            }
            FailureKind::Retry => {
                if step_id.is_some() && workflow_id.is_some() {
                    let d = self.diag(
                        Code::ActionTarget,
                        &join(&path, "workflowId"),
                        Part::Key,
                        format!("retry action `{name}` names both a `stepId` and a `workflowId`"),
                    );
                    self.push(d);
                }
            }
            FailureKind::End => {
                self.check_action_target(&path, &name, false, &step_id, &workflow_id, "end")
            }
        }
        let retry_after = match m.get("retryAfter") {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f >= 0.0 => Some(f),
                _ => {
                    let d = self.diag(
                        Code::InvalidValue,
                        &join(&path, "retryAfter"),
                        Part::Value,
                        "`retryAfter` must be a non-negative number of seconds",
                    );
                    self.push(d);
                    None
                }
            },
            Some(other) => {
                self.wrong_type(&path, "retryAfter", "a number of seconds", other);
                None
            }
            None => None,
        };
        let retry_limit = match m.get("retryLimit") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(other) => {
                self.wrong_type(&path, "retryLimit", "a non-negative integer", other);
                None
            }
            None => None,
        };
        if kind != FailureKind::Retry {
            for field in ["retryAfter", "retryLimit"] {
                if m.contains_key(field) {
                    let d = self.warn(
                        Code::IneffectiveField,
                        &join(&path, field),
                        Part::Key,
                        format!(
                            "`{field}` has no effect on a `{}` action",
                            match kind {
                                FailureKind::End => "end",
                                _ => "goto",
                            }
                        ),
                    );
                    self.push(d);
                }
            }
        }
        let criteria = self.criteria(m, &path, "criteria");
        let parameters = self.action_parameters(m, &path, &workflow_id);
        FailureAction {
            name,
            kind,
            step_id,
            workflow_id,
            retry_after,
            retry_limit,
            criteria,
            parameters,
            extensions: Self::extensions(m),
            path,
        }
    }

    fn action_parameters(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        workflow_id: &Option<String>,
    ) -> Vec<ParameterRef> {
        if m.contains_key("parameters") && workflow_id.is_none() {
            let d = self.warn(
                Code::IneffectiveField,
                &join(path, "parameters"),
                Part::Key,
                "action `parameters` only apply when the action targets a `workflowId`",
            );
            self.push(d);
        }
        self.parameter_list(m, path, "parameters")
    }

    fn check_action_target(
        &mut self,
        path: &str,
        name: &str,
        needs_target: bool,
        step_id: &Option<String>,
        workflow_id: &Option<String>,
        kind: &str,
    ) {
        match (needs_target, step_id.is_some(), workflow_id.is_some()) {
            (true, false, false) => {
                let d = self
                    .diag(
                        Code::ActionTarget,
                        path,
                        Part::Value,
                        format!("{kind} action `{name}` names no `stepId` or `workflowId`"),
                    )
                    .hint("a goto needs exactly one of `stepId` or `workflowId`");
                self.push(d);
            }
            (true, true, true) => {
                let d = self.diag(
                    Code::ActionTarget,
                    &join(path, "workflowId"),
                    Part::Key,
                    format!("{kind} action `{name}` names both a `stepId` and a `workflowId`"),
                );
                self.push(d);
            }
            (false, s, w) if s || w => {
                let field = if s { "stepId" } else { "workflowId" };
                let d = self.warn(
                    Code::IneffectiveField,
                    &join(path, field),
                    Part::Key,
                    format!("`{field}` has no effect on an `{kind}` action"),
                );
                self.push(d);
            }
            _ => {}
        }
    }

    fn criteria(&mut self, m: &Map<String, Value>, path: &str, field: &str) -> Vec<Criterion> {
        self.list(m, path, field)
            .into_iter()
            .filter_map(|(p, v)| self.criterion(v, p))
            .collect()
    }

    fn criterion(&mut self, v: &Value, path: String) -> Option<Criterion> {
        let what = "a criterion";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, CRITERION_FIELDS);
        let condition = self.req_string(m, &path, "condition", what);
        let context = self.opt_string(m, &path, "context");
        let (kind, explicit_type) = match m.get("type") {
            Some(t) => (
                self.expression_type(
                    t,
                    &join(&path, "type"),
                    &["simple", "regex", "jsonpath", "xpath"],
                )
                .unwrap_or_default(),
                true,
            ),
            None => (ExpressionType::Simple, false),
        };
        if explicit_type && context.is_none() {
            let d = self
                .diag(
                    Code::CriterionContext,
                    &join(&path, "type"),
                    Part::Key,
                    format!("a `{}` criterion needs a `context`", kind.name()),
                )
                .hint(match kind {
                    ExpressionType::Simple => {
                        "add `context` (e.g. `$response.body`) or remove `type: simple`, which is the default"
                    }
                    _ => "add `context`, e.g. `context: $response.body`",
                });
            self.push(d);
        }
        Some(Criterion {
            context,
            condition,
            kind,
            explicit_type,
            extensions: Self::extensions(m),
            path,
        })
    }

    /// Reads a `type`: a string, or an Expression Type Object `{type, version}`.
    fn expression_type(
        &mut self,
        v: &Value,
        path: &str,
        allowed: &[&str],
    ) -> Option<ExpressionType> {
        let (name, version) = match v {
            Value::String(s) => (s.clone(), None),
            Value::Object(m) => {
                self.check_fields(m, path, "an expression type", EXPRESSION_TYPE_FIELDS);
                let name = self.req_string(m, path, "type", "an expression type");
                let version = self.opt_string(m, path, "version");
                if let Some(ver) = &version {
                    let known: &[&str] = match name.as_str() {
                        "jsonpath" => &["rfc9535", "draft-goessner-dispatch-jsonpath-00"],
                        "xpath" => &["xpath-31", "xpath-30", "xpath-20", "xpath-10"],
                        "jsonpointer" => &["rfc6901"],
                        _ => &[],
                    };
                    if !known.is_empty() && !known.contains(&ver.as_str()) {
                        let d = self
                            .diag(
                                Code::InvalidValue,
                                &join(path, "version"),
                                Part::Value,
                                format!("unknown {name} version `{ver}`"),
                            )
                            .hint(format!(
                                "use one of {}",
                                known
                                    .iter()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        self.push(d);
                    } else if self.version < V1
                        && matches!(ver.as_str(), "rfc9535" | "xpath-31" | "rfc6901")
                    {
                        // 1.0's Criterion Expression Type Object lists only the
                        // non-default versions; these values arrived in 1.1.
                        let d = self
                            .warn(
                                Code::VersionMismatch,
                                &join(path, "version"),
                                Part::Value,
                                format!("`{ver}` is an Arazzo 1.1 value; 1.0 defines only non-default versions here"),
                            )
                            .hint("omit the Expression Type Object to get the default, or declare `arazzo: 1.1.0`");
                        self.push(d);
                    }
                }
                (name, version)
            }
            other => {
                let d = self.diag(
                    Code::WrongType,
                    path,
                    Part::Value,
                    format!(
                        "`type` must be a string or an expression type object, found {}",
                        describe(other)
                    ),
                );
                self.push(d);
                return None;
            }
        };
        let kind = match name.as_str() {
            "simple" => ExpressionType::Simple,
            "regex" => ExpressionType::Regex,
            "jsonpath" => ExpressionType::JsonPath(version),
            "xpath" => ExpressionType::XPath(version),
            "jsonpointer" => ExpressionType::JsonPointer(version),
            _ => {
                let d = self
                    .diag(
                        Code::InvalidValue,
                        path,
                        Part::Value,
                        format!("unknown expression type `{name}`"),
                    )
                    .hint(format!(
                        "use one of {}",
                        allowed
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                self.push(d);
                return None;
            }
        };
        if !allowed.contains(&kind.name()) {
            let d = self
                .diag(
                    Code::InvalidValue,
                    path,
                    Part::Value,
                    format!("`{}` is not allowed here", kind.name()),
                )
                .hint(format!(
                    "use one of {}",
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            self.push(d);
        }
        Some(kind)
    }

    fn request_body(&mut self, v: &Value, path: String) -> Option<RequestBody> {
        let what = "a request body";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, BODY_FIELDS);
        let replacements = self
            .list(m, &path, "replacements")
            .into_iter()
            .filter_map(|(p, v)| self.replacement(v, p))
            .collect();
        Some(RequestBody {
            content_type: self.opt_string(m, &path, "contentType"),
            payload: m.get("payload").cloned(),
            replacements,
            extensions: Self::extensions(m),
            path,
        })
    }

    fn replacement(&mut self, v: &Value, path: String) -> Option<Replacement> {
        let what = "a payload replacement";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, REPLACEMENT_FIELDS);
        let target = self.req_string(m, &path, "target", what);
        let target_type = m.get("targetSelectorType").and_then(|t| {
            self.expression_type(
                t,
                &join(&path, "targetSelectorType"),
                &["jsonpath", "xpath", "jsonpointer"],
            )
        });
        let value = match m.get("value") {
            Some(v) => {
                if is_selector_object(v) {
                    self.selector(v, &join(&path, "value"));
                }
                v.clone()
            }
            None => {
                self.missing(&path, "value", what);
                Value::Null
            }
        };
        Some(Replacement {
            target,
            target_type,
            value,
            extensions: Self::extensions(m),
            path,
        })
    }

    fn components(&mut self, v: &Value) -> Components {
        let mut c = Components::default();
        let Some(m) = self.object(v, "/components", "`components`") else {
            return c;
        };
        self.check_fields(m, "/components", "`components`", COMPONENTS_FIELDS);
        c.extensions = Self::extensions(m);
        for (field, mapv) in m {
            if field.starts_with("x-") {
                continue;
            }
            let mpath = join("/components", field);
            let Some(entries) = self.object(mapv, &mpath, &format!("`components.{field}`")) else {
                continue;
            };
            for (key, value) in entries {
                let p = join(&mpath, key);
                if !is_identifier(key) {
                    let d = self.diag(
                        Code::InvalidName,
                        &p,
                        Part::Key,
                        format!("component name `{key}` must match ^[a-zA-Z0-9.\\-_]+$"),
                    );
                    self.push(d);
                }
                match field.as_str() {
                    "inputs" => {
                        if !value.is_object() && !value.is_boolean() {
                            self.wrong_type(&mpath, key, "a JSON Schema object", value);
                        }
                        c.inputs.insert(key.clone(), value.clone());
                    }
                    "parameters" => {
                        if let Some(param) = self.parameter(value, p) {
                            c.parameters.insert(key.clone(), param);
                        }
                    }
                    "successActions" => {
                        if let Some(am) = self.object(value, &p, "a success action") {
                            let a = self.success_action(am, p);
                            c.success_actions.insert(key.clone(), a);
                        }
                    }
                    "failureActions" => {
                        if let Some(am) = self.object(value, &p, "a failure action") {
                            let a = self.failure_action(am, p);
                            c.failure_actions.insert(key.clone(), a);
                        }
                    }
                    _ => {}
                }
            }
        }
        c
    }
}

/// The text of a scalar for use where a string was expected (keeps going after a type error).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        _ => String::new(),
    }
}

pub use crate::suggest::closest;
