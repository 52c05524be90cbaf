//! The runtime expression AST and its evaluation.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::context::{ComponentKind, Context};
use crate::error::{EvalError, EvalErrorKind};
use crate::pointer::JsonPointer;

/// Which collection of a workflow a `$workflows.<id>.…` expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkflowField {
    /// `$workflows.<id>.inputs.<name>`
    Inputs,
    /// `$workflows.<id>.outputs.<name>`
    Outputs,
}

impl WorkflowField {
    /// The keyword as written in expressions.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowField::Inputs => "inputs",
            WorkflowField::Outputs => "outputs",
        }
    }
}

/// A parsed runtime expression.
///
/// Each variant names exactly what it references, so that the engine's validator can
/// check references statically (does step `a` exist and declare output `b`?). The
/// `Display` implementation prints the canonical form, and
/// `parse_expression(&e.to_string()) == Ok(e)` for every expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expression {
    /// `$url`
    Url,
    /// `$method`
    Method,
    /// `$statusCode`
    StatusCode,
    /// `$self` (Arazzo 1.1)
    SelfUri,
    /// `$request.header.<name>`
    RequestHeader {
        /// Header name as written (matched case-insensitively).
        name: String,
    },
    /// `$request.query.<name>`
    RequestQuery {
        /// Query parameter name.
        name: String,
    },
    /// `$request.path.<name>`
    RequestPath {
        /// Path parameter name.
        name: String,
    },
    /// `$request.body[#<pointer>]`
    RequestBody {
        /// Pointer into the body; `None` for the whole body.
        pointer: Option<JsonPointer>,
    },
    /// `$response.header.<name>`
    ResponseHeader {
        /// Header name as written (matched case-insensitively).
        name: String,
    },
    /// `$response.body[#<pointer>]`
    ResponseBody {
        /// Pointer into the body; `None` for the whole body.
        pointer: Option<JsonPointer>,
    },
    /// `$message.header.<name>` (Arazzo 1.1)
    MessageHeader {
        /// Header name as written (matched case-insensitively).
        name: String,
    },
    /// `$message.payload[#<pointer>]` (Arazzo 1.1)
    MessagePayload {
        /// Pointer into the payload; `None` for the whole payload.
        pointer: Option<JsonPointer>,
    },
    /// `$inputs.<name>[#<pointer>]`
    Inputs {
        /// Input name (may contain dots).
        name: String,
        /// Pointer into the input value.
        pointer: Option<JsonPointer>,
    },
    /// `$outputs.<name>[#<pointer>]`
    Outputs {
        /// Output name (may contain dots).
        name: String,
        /// Pointer into the output value.
        pointer: Option<JsonPointer>,
    },
    /// `$steps.<step_id>.outputs.<output>[#<pointer>]`
    Steps {
        /// The step id (no dots).
        step_id: String,
        /// The output name (may contain dots).
        output: String,
        /// Pointer into the output value.
        pointer: Option<JsonPointer>,
    },
    /// `$workflows.<workflow_id>.inputs|outputs.<name>[#<pointer>]`
    Workflows {
        /// The workflow id (no dots).
        workflow_id: String,
        /// Inputs or outputs.
        field: WorkflowField,
        /// Input or output name (may contain dots).
        name: String,
        /// Pointer into the value.
        pointer: Option<JsonPointer>,
    },
    /// `$sourceDescriptions.<name>.<reference>`: an operationId, workflowId or Source
    /// Description field of the named source.
    SourceDescriptions {
        /// The source description name (no dots).
        name: String,
        /// Everything after the name's dot, verbatim.
        reference: String,
    },
    /// `$components.parameters|successActions|failureActions.<name>`
    Components {
        /// Which component map.
        kind: ComponentKind,
        /// Component key (may contain dots).
        name: String,
    },
}

impl Expression {
    /// The JSON pointer of the expression, if it has one.
    pub fn pointer(&self) -> Option<&JsonPointer> {
        match self {
            Expression::RequestBody { pointer }
            | Expression::ResponseBody { pointer }
            | Expression::MessagePayload { pointer }
            | Expression::Inputs { pointer, .. }
            | Expression::Outputs { pointer, .. }
            | Expression::Steps { pointer, .. }
            | Expression::Workflows { pointer, .. } => pointer.as_ref(),
            _ => None,
        }
    }

    /// The same expression without its pointer: what the context is asked for.
    pub fn root(&self) -> Expression {
        let mut e = self.clone();
        if let Some(p) = e.pointer_mut() {
            *p = None;
        }
        e
    }

    /// Replaces the pointer; false when this kind of expression takes none.
    pub fn set_pointer(&mut self, pointer: Option<JsonPointer>) -> bool {
        match self.pointer_mut() {
            Some(p) => {
                *p = pointer;
                true
            }
            None => false,
        }
    }

    fn pointer_mut(&mut self) -> Option<&mut Option<JsonPointer>> {
        match self {
            Expression::RequestBody { pointer }
            | Expression::ResponseBody { pointer }
            | Expression::MessagePayload { pointer }
            | Expression::Inputs { pointer, .. }
            | Expression::Outputs { pointer, .. }
            | Expression::Steps { pointer, .. }
            | Expression::Workflows { pointer, .. } => Some(pointer),
            _ => None,
        }
    }

    /// The trailing name of the expression when it may contain dots and no pointer
    /// follows it: the part that a condition may split into a shorter name plus
    /// property accesses (`$inputs.a.b` may be input `a` with property `b`).
    pub fn dotted_name(&self) -> Option<&str> {
        if self.pointer().is_some() {
            return None;
        }
        match self {
            Expression::RequestHeader { name }
            | Expression::ResponseHeader { name }
            | Expression::MessageHeader { name }
            | Expression::RequestQuery { name }
            | Expression::RequestPath { name }
            | Expression::Inputs { name, .. }
            | Expression::Outputs { name, .. }
            | Expression::Workflows { name, .. }
            | Expression::Components { name, .. } => Some(name),
            Expression::Steps { output, .. } => Some(output),
            Expression::SourceDescriptions { reference, .. } => Some(reference),
            _ => None,
        }
    }

    /// A copy with the trailing dotted name replaced (see [`Expression::dotted_name`]).
    pub fn with_dotted_name(&self, new_name: &str) -> Expression {
        let mut e = self.clone();
        match &mut e {
            Expression::RequestHeader { name }
            | Expression::ResponseHeader { name }
            | Expression::MessageHeader { name }
            | Expression::RequestQuery { name }
            | Expression::RequestPath { name }
            | Expression::Inputs { name, .. }
            | Expression::Outputs { name, .. }
            | Expression::Workflows { name, .. }
            | Expression::Components { name, .. } => *name = new_name.to_owned(),
            Expression::Steps { output, .. } => *output = new_name.to_owned(),
            Expression::SourceDescriptions { reference, .. } => *reference = new_name.to_owned(),
            _ => {}
        }
        e
    }

    /// The ways a dotted name can be read, longest name first: for `$inputs.a.b.c`,
    /// (`$inputs.a.b.c`, `[]`), (`$inputs.a.b`, `[c]`), (`$inputs.a`, `[b, c]`). Conditions
    /// use the first one that exists in the context; validators can use the list to
    /// accept `$inputs.customer.name` when only `customer` is declared.
    pub fn dotted_candidates(&self) -> Vec<(Expression, Vec<String>)> {
        let Some(name) = self.dotted_name() else {
            return vec![(self.clone(), Vec::new())];
        };
        let mut out = vec![(self.clone(), Vec::new())];
        let mut cut = name.len();
        while let Some(i) = name[..cut].rfind('.') {
            cut = i;
            let head = &name[..i];
            if head.is_empty() {
                break;
            }
            let rest: Vec<String> = name[i + 1..].split('.').map(str::to_owned).collect();
            if rest.iter().any(String::is_empty) {
                continue;
            }
            out.push((self.with_dotted_name(head), rest));
        }
        out
    }

    /// Evaluates the expression to an owned value.
    ///
    /// An absent root gives an error for which [`EvalError::is_absent`] is true; a
    /// pointer that does not resolve gives a [`EvalErrorKind::Pointer`] error.
    pub fn evaluate(&self, ctx: &dyn Context) -> Result<Value, EvalError> {
        self.resolve(ctx).map(Cow::into_owned)
    }

    /// Evaluates the expression, borrowing from the context where possible so that
    /// `$response.body#/id` does not clone the body.
    pub fn resolve<'c>(&self, ctx: &'c dyn Context) -> Result<Cow<'c, Value>, EvalError> {
        let root = self
            .lookup(ctx)
            .ok_or_else(|| EvalError::new(EvalErrorKind::Absent, self.absent_message()))?;
        match self.pointer() {
            None => Ok(root),
            Some(p) => p.resolve(root).map_err(|reason| {
                EvalError::new(EvalErrorKind::Pointer, format!("{self}: {reason}"))
            }),
        }
    }

    /// Asks the context for the root value (ignoring any pointer).
    pub fn lookup<'c>(&self, ctx: &'c dyn Context) -> Option<Cow<'c, Value>> {
        fn s(v: Option<Cow<'_, str>>) -> Option<Cow<'_, Value>> {
            v.map(|s| Cow::Owned(Value::String(s.into_owned())))
        }
        match self {
            Expression::Url => s(ctx.url()),
            Expression::Method => s(ctx.method()),
            Expression::StatusCode => ctx.status_code().map(|c| Cow::Owned(Value::from(c))),
            Expression::SelfUri => s(ctx.self_uri()),
            Expression::RequestHeader { name } => s(ctx.request_header(name)),
            Expression::RequestQuery { name } => ctx.request_query(name),
            Expression::RequestPath { name } => ctx.request_path(name),
            Expression::RequestBody { .. } => ctx.request_body(),
            Expression::ResponseHeader { name } => s(ctx.response_header(name)),
            Expression::ResponseBody { .. } => ctx.response_body(),
            Expression::MessageHeader { name } => s(ctx.message_header(name)),
            Expression::MessagePayload { .. } => ctx.message_payload(),
            Expression::Inputs { name, .. } => ctx.input(name),
            Expression::Outputs { name, .. } => ctx.output(name),
            Expression::Steps {
                step_id, output, ..
            } => ctx.step_output(step_id, output),
            Expression::Workflows {
                workflow_id,
                field,
                name,
                ..
            } => match field {
                WorkflowField::Inputs => ctx.workflow_input(workflow_id, name),
                WorkflowField::Outputs => ctx.workflow_output(workflow_id, name),
            },
            Expression::SourceDescriptions { name, reference } => {
                ctx.source_description(name, reference)
            }
            Expression::Components { kind, name } => ctx.component(*kind, name),
        }
    }

    /// The message for an absent root, phrased for the user.
    pub fn absent_message(&self) -> String {
        match self {
            Expression::Url => "no request URL is available (`$url`): no request was sent".into(),
            Expression::Method => {
                "no request method is available (`$method`): no request was sent".into()
            }
            Expression::StatusCode => {
                "no status code is available (`$statusCode`): no response was received".into()
            }
            Expression::SelfUri => "the document has no `$self` URI".into(),
            Expression::RequestHeader { name } => format!("request header `{name}` was not sent"),
            Expression::RequestQuery { name } => {
                format!("request query parameter `{name}` was not sent")
            }
            Expression::RequestPath { name } => {
                format!("request path parameter `{name}` was not sent")
            }
            Expression::RequestBody { .. } => "the request has no body".into(),
            Expression::ResponseHeader { name } => format!("response header `{name}` is absent"),
            Expression::ResponseBody { .. } => "the response has no body".into(),
            Expression::MessageHeader { name } => format!("message header `{name}` is absent"),
            Expression::MessagePayload { .. } => "no message payload is available".into(),
            Expression::Inputs { name, .. } => format!("input `{name}` was not supplied"),
            Expression::Outputs { name, .. } => format!("workflow output `{name}` is not set"),
            Expression::Steps {
                step_id, output, ..
            } => format!("step `{step_id}` has no output `{output}` (has it run?)"),
            Expression::Workflows {
                workflow_id,
                field: WorkflowField::Inputs,
                name,
                ..
            } => format!("workflow `{workflow_id}` has no input `{name}`"),
            Expression::Workflows {
                workflow_id,
                field: WorkflowField::Outputs,
                name,
                ..
            } => format!("workflow `{workflow_id}` has no output `{name}` (has it run?)"),
            Expression::SourceDescriptions { name, reference } => format!(
                "source description `{name}` has no operation, workflow or field `{reference}`"
            ),
            Expression::Components { kind, name } => {
                format!("components have no `{kind}` entry `{name}`")
            }
        }
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn ptr(f: &mut fmt::Formatter<'_>, p: &Option<JsonPointer>) -> fmt::Result {
            match p {
                Some(p) => write!(f, "#{p}"),
                None => Ok(()),
            }
        }
        match self {
            Expression::Url => f.write_str("$url"),
            Expression::Method => f.write_str("$method"),
            Expression::StatusCode => f.write_str("$statusCode"),
            Expression::SelfUri => f.write_str("$self"),
            Expression::RequestHeader { name } => write!(f, "$request.header.{name}"),
            Expression::RequestQuery { name } => write!(f, "$request.query.{name}"),
            Expression::RequestPath { name } => write!(f, "$request.path.{name}"),
            Expression::RequestBody { pointer } => {
                f.write_str("$request.body")?;
                ptr(f, pointer)
            }
            Expression::ResponseHeader { name } => write!(f, "$response.header.{name}"),
            Expression::ResponseBody { pointer } => {
                f.write_str("$response.body")?;
                ptr(f, pointer)
            }
            Expression::MessageHeader { name } => write!(f, "$message.header.{name}"),
            Expression::MessagePayload { pointer } => {
                f.write_str("$message.payload")?;
                ptr(f, pointer)
            }
            Expression::Inputs { name, pointer } => {
                write!(f, "$inputs.{name}")?;
                ptr(f, pointer)
            }
            Expression::Outputs { name, pointer } => {
                write!(f, "$outputs.{name}")?;
                ptr(f, pointer)
            }
            Expression::Steps {
                step_id,
                output,
                pointer,
            } => {
                write!(f, "$steps.{step_id}.outputs.{output}")?;
                ptr(f, pointer)
            }
            Expression::Workflows {
                workflow_id,
                field,
                name,
                pointer,
            } => {
                write!(f, "$workflows.{workflow_id}.{}.{name}", field.as_str())?;
                ptr(f, pointer)
            }
            Expression::SourceDescriptions { name, reference } => {
                write!(f, "$sourceDescriptions.{name}.{reference}")
            }
            Expression::Components { kind, name } => write!(f, "$components.{kind}.{name}"),
        }
    }
}
