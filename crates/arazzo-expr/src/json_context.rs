//! A ready-made [`Context`] over plain JSON: the `arazzo-run eval --context` file shape.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::context::{ComponentKind, Context};

/// A context read from JSON of this shape (every member optional):
///
/// ```json
/// { "inputs": {}, "outputs": {},
///   "steps": { "<stepId>": { "outputs": {} } },
///   "workflows": { "<workflowId>": { "inputs": {}, "outputs": {} } },
///   "url": "…", "method": "GET", "statusCode": 200,
///   "request": { "headers": {}, "query": {}, "path": {}, "body": … },
///   "response": { "headers": {}, "body": … },
///   "message": { "headers": {}, "payload": … },
///   "sourceDescriptions": { "<name>": { "<reference>": … } },
///   "components": { "parameters": {}, "successActions": {}, "failureActions": {} },
///   "self": "…" }
/// ```
///
/// Header maps are name → string and are matched case-insensitively. A member that is
/// missing is absent; a member present with `null` is null.
#[derive(Debug, Clone, Default)]
pub struct JsonContext {
    inputs: Map<String, Value>,
    outputs: Map<String, Value>,
    steps: HashMap<String, Map<String, Value>>,
    workflow_inputs: HashMap<String, Map<String, Value>>,
    workflow_outputs: HashMap<String, Map<String, Value>>,
    url: Option<String>,
    method: Option<String>,
    status_code: Option<u16>,
    request_headers: HashMap<String, String>,
    request_query: Map<String, Value>,
    request_path: Map<String, Value>,
    request_body: Option<Value>,
    response_headers: HashMap<String, String>,
    response_body: Option<Value>,
    message_headers: HashMap<String, String>,
    message_payload: Option<Value>,
    source_descriptions: HashMap<String, Map<String, Value>>,
    components: HashMap<ComponentKind, Map<String, Value>>,
    self_uri: Option<String>,
}

/// A context file member with the wrong shape: the JSON pointer of the member and what
/// was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonContextError {
    /// JSON pointer of the offending member (e.g. `/response/headers/x-id`).
    pub pointer: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl fmt::Display for JsonContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "context member `{}` must be {}",
            self.pointer, self.expected
        )
    }
}

impl std::error::Error for JsonContextError {}

const KNOWN: &[&str] = &[
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "url",
    "method",
    "statusCode",
    "request",
    "response",
    "message",
    "sourceDescriptions",
    "components",
    "self",
];

fn err(pointer: impl Into<String>, expected: &'static str) -> JsonContextError {
    JsonContextError {
        pointer: pointer.into(),
        expected,
    }
}

fn object(v: Option<&Value>, at: &str) -> Result<Map<String, Value>, JsonContextError> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(err(at, "an object")),
    }
}

fn string(v: Option<&Value>, at: &str) -> Result<Option<String>, JsonContextError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(at, "a string")),
    }
}

fn headers(v: Option<&Value>, at: &str) -> Result<HashMap<String, String>, JsonContextError> {
    let mut out = HashMap::new();
    for (k, v) in object(v, at)? {
        let Value::String(s) = v else {
            return Err(err(
                format!("{at}/{k}"),
                "a string (header values are strings)",
            ));
        };
        out.insert(k.to_ascii_lowercase(), s);
    }
    Ok(out)
}

impl JsonContext {
    /// An empty context (the same as omitting `--context`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the context from JSON; an unknown top-level member or a member of the
    /// wrong type is an error (typos should not silently become "absent").
    pub fn from_value(v: Value) -> Result<Self, JsonContextError> {
        let Value::Object(root) = v else {
            return Err(err("", "an object"));
        };
        if let Some(k) = root.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(err(
                format!("/{k}"),
                "one of inputs, outputs, steps, workflows, url, method, statusCode, request, response, message, sourceDescriptions, components, self",
            ));
        }
        let mut c = JsonContext {
            inputs: object(root.get("inputs"), "/inputs")?,
            outputs: object(root.get("outputs"), "/outputs")?,
            url: string(root.get("url"), "/url")?,
            method: string(root.get("method"), "/method")?,
            self_uri: string(root.get("self"), "/self")?,
            ..JsonContext::default()
        };
        for (id, step) in object(root.get("steps"), "/steps")? {
            let at = format!("/steps/{id}");
            let step = object(Some(&step), &at)?;
            c.steps
                .insert(id, object(step.get("outputs"), &format!("{at}/outputs"))?);
        }
        for (id, wf) in object(root.get("workflows"), "/workflows")? {
            let at = format!("/workflows/{id}");
            let wf = object(Some(&wf), &at)?;
            c.workflow_inputs.insert(
                id.clone(),
                object(wf.get("inputs"), &format!("{at}/inputs"))?,
            );
            c.workflow_outputs
                .insert(id, object(wf.get("outputs"), &format!("{at}/outputs"))?);
        }
        c.status_code = match root.get("statusCode") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(
                n.as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| err("/statusCode", "an integer from 0 to 65535"))?,
            ),
            Some(_) => return Err(err("/statusCode", "an integer from 0 to 65535")),
        };
        let request = object(root.get("request"), "/request")?;
        c.request_headers = headers(request.get("headers"), "/request/headers")?;
        c.request_query = object(request.get("query"), "/request/query")?;
        c.request_path = object(request.get("path"), "/request/path")?;
        c.request_body = request.get("body").cloned();
        let response = object(root.get("response"), "/response")?;
        c.response_headers = headers(response.get("headers"), "/response/headers")?;
        c.response_body = response.get("body").cloned();
        let message = object(root.get("message"), "/message")?;
        c.message_headers = headers(message.get("headers"), "/message/headers")?;
        c.message_payload = message.get("payload").cloned();
        for (name, refs) in object(root.get("sourceDescriptions"), "/sourceDescriptions")? {
            let at = format!("/sourceDescriptions/{name}");
            c.source_descriptions
                .insert(name, object(Some(&refs), &at)?);
        }
        let components = object(root.get("components"), "/components")?;
        for (k, v) in components {
            let kind = ComponentKind::from_keyword(&k).ok_or_else(|| {
                err(
                    format!("/components/{k}"),
                    "one of parameters, successActions, failureActions",
                )
            })?;
            c.components
                .insert(kind, object(Some(&v), &format!("/components/{k}"))?);
        }
        Ok(c)
    }

    /// Sets the response status (builder style, for tests and embedding).
    pub fn with_status_code(mut self, code: u16) -> Self {
        self.status_code = Some(code);
        self
    }

    /// Sets the response body.
    pub fn with_response_body(mut self, body: Value) -> Self {
        self.response_body = Some(body);
        self
    }

    /// Adds a workflow input.
    pub fn with_input(mut self, name: &str, value: Value) -> Self {
        self.inputs.insert(name.to_owned(), value);
        self
    }
}

fn get<'a>(m: &'a Map<String, Value>, k: &str) -> Option<Cow<'a, Value>> {
    m.get(k).map(Cow::Borrowed)
}

fn header<'a>(m: &'a HashMap<String, String>, name: &str) -> Option<Cow<'a, str>> {
    m.get(&name.to_ascii_lowercase())
        .map(|s| Cow::Borrowed(s.as_str()))
}

impl Context for JsonContext {
    fn url(&self) -> Option<Cow<'_, str>> {
        self.url.as_deref().map(Cow::Borrowed)
    }
    fn method(&self) -> Option<Cow<'_, str>> {
        self.method.as_deref().map(Cow::Borrowed)
    }
    fn status_code(&self) -> Option<u16> {
        self.status_code
    }
    fn request_header(&self, name: &str) -> Option<Cow<'_, str>> {
        header(&self.request_headers, name)
    }
    fn request_query(&self, name: &str) -> Option<Cow<'_, Value>> {
        get(&self.request_query, name)
    }
    fn request_path(&self, name: &str) -> Option<Cow<'_, Value>> {
        get(&self.request_path, name)
    }
    fn request_body(&self) -> Option<Cow<'_, Value>> {
        self.request_body.as_ref().map(Cow::Borrowed)
    }
    fn response_header(&self, name: &str) -> Option<Cow<'_, str>> {
        header(&self.response_headers, name)
    }
    fn response_body(&self) -> Option<Cow<'_, Value>> {
        self.response_body.as_ref().map(Cow::Borrowed)
    }
    fn message_header(&self, name: &str) -> Option<Cow<'_, str>> {
        header(&self.message_headers, name)
    }
    fn message_payload(&self) -> Option<Cow<'_, Value>> {
        self.message_payload.as_ref().map(Cow::Borrowed)
    }
    fn input(&self, name: &str) -> Option<Cow<'_, Value>> {
        get(&self.inputs, name)
    }
    fn output(&self, name: &str) -> Option<Cow<'_, Value>> {
        get(&self.outputs, name)
    }
    fn step_output(&self, step_id: &str, name: &str) -> Option<Cow<'_, Value>> {
        self.steps.get(step_id).and_then(|m| get(m, name))
    }
    fn workflow_input(&self, workflow_id: &str, name: &str) -> Option<Cow<'_, Value>> {
        self.workflow_inputs
            .get(workflow_id)
            .and_then(|m| get(m, name))
    }
    fn workflow_output(&self, workflow_id: &str, name: &str) -> Option<Cow<'_, Value>> {
        self.workflow_outputs
            .get(workflow_id)
            .and_then(|m| get(m, name))
    }
    fn source_description(&self, name: &str, reference: &str) -> Option<Cow<'_, Value>> {
        self.source_descriptions
            .get(name)
            .and_then(|m| get(m, reference))
    }
    fn component(&self, kind: ComponentKind, name: &str) -> Option<Cow<'_, Value>> {
        self.components.get(&kind).and_then(|m| get(m, name))
    }
    fn self_uri(&self) -> Option<Cow<'_, str>> {
        self.self_uri.as_deref().map(Cow::Borrowed)
    }
}
