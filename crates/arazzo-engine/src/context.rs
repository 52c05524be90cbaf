//! What runtime expressions see during a run.
//!
//! `$request`, `$response`, `$url`, `$method` and `$statusCode` are the
//! current step's exchange — in success criteria, action criteria and step
//! outputs alike. In a step that calls a workflow they are the called
//! workflow's last exchange, and `$outputs` are its outputs. `$inputs` and
//! `$steps` are the current workflow's; `$workflows` reaches any workflow of
//! the document that has run (or is running, for its inputs).

use std::borrow::Cow;

use arazzo_expr::{ComponentKind, Context};
use serde_json::{Map, Value};

use crate::exchange::Exchange;
use crate::plan::{DocIndex, Plan, WorkflowIndex};
use crate::run::{Frame, RunState};

pub(crate) struct Ctx<'a> {
    plan: &'a Plan,
    st: &'a RunState,
    frame: &'a Frame,
    outputs: Option<&'a Map<String, Value>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        plan: &'a Plan,
        st: &'a RunState,
        frame: &'a Frame,
        outputs: Option<&'a Map<String, Value>>,
    ) -> Ctx<'a> {
        Ctx {
            plan,
            st,
            frame,
            outputs,
        }
    }

    fn exchange(&self) -> Option<&'a Exchange> {
        self.frame.exchange.as_deref()
    }

    fn doc(&self) -> DocIndex {
        self.plan
            .workflow(self.frame.wf)
            .map_or(DocIndex(0), |w| w.doc)
    }

    /// The workflow with this id: in the current document first, then in
    /// the other documents of the description.
    fn workflow(&self, id: &str) -> Option<WorkflowIndex> {
        let doc = self.doc();
        self.plan
            .workflows
            .iter()
            .position(|w| w.doc == doc && w.id == id)
            .or_else(|| self.plan.workflows.iter().position(|w| w.id == id))
            .map(WorkflowIndex)
    }
}

impl Context for Ctx<'_> {
    fn url(&self) -> Option<Cow<'_, str>> {
        self.exchange()?
            .request
            .as_ref()
            .map(|r| Cow::Borrowed(r.url.as_str()))
    }

    fn method(&self) -> Option<Cow<'_, str>> {
        self.exchange()?
            .request
            .as_ref()
            .map(|r| Cow::Borrowed(r.method.as_str()))
    }

    fn status_code(&self) -> Option<u16> {
        self.exchange()?.status
    }

    fn request_header(&self, name: &str) -> Option<Cow<'_, str>> {
        let r = self.exchange()?.request.as_ref()?;
        let values: Vec<&str> = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        match values.as_slice() {
            [] => None,
            [one] => Some(Cow::Borrowed(one)),
            many => Some(Cow::Owned(many.join(", "))),
        }
    }

    fn request_query(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.exchange()?.sent.query.get(name).map(Cow::Borrowed)
    }

    fn request_path(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.exchange()?.sent.path.get(name).map(Cow::Borrowed)
    }

    fn request_body(&self) -> Option<Cow<'_, Value>> {
        let x = self.exchange()?;
        match &x.sent.body {
            Some(b) => Some(Cow::Borrowed(b)),
            None => x.request_body().map(Cow::Owned),
        }
    }

    fn response_header(&self, name: &str) -> Option<Cow<'_, str>> {
        self.exchange()?.response_header(name).map(Cow::Owned)
    }

    fn response_body(&self) -> Option<Cow<'_, Value>> {
        self.exchange()?.body.as_ref().map(Cow::Borrowed)
    }

    fn input(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.frame.inputs.get(name).map(Cow::Borrowed)
    }

    fn output(&self, name: &str) -> Option<Cow<'_, Value>> {
        if let Some(c) = &self.frame.callee {
            return c.outputs.get(name).map(Cow::Borrowed);
        }
        self.outputs?.get(name).map(Cow::Borrowed)
    }

    fn step_output(&self, step_id: &str, name: &str) -> Option<Cow<'_, Value>> {
        let wf = self.plan.workflow(self.frame.wf)?;
        let i = wf.step_index(step_id)?;
        self.frame
            .step_outputs
            .get(i)?
            .as_ref()?
            .get(name)
            .map(Cow::Borrowed)
    }

    fn workflow_input(&self, workflow_id: &str, name: &str) -> Option<Cow<'_, Value>> {
        let wf = self.workflow(workflow_id)?;
        // Running: on the stack, or waiting off it for the target of its goto.
        if let Some(running) = self.st.running(wf) {
            return running.inputs().get(name).map(Cow::Borrowed);
        }
        self.st.done.get(&wf)?.inputs.get(name).map(Cow::Borrowed)
    }

    fn workflow_output(&self, workflow_id: &str, name: &str) -> Option<Cow<'_, Value>> {
        let wf = self.workflow(workflow_id)?;
        self.st.done.get(&wf)?.outputs.get(name).map(Cow::Borrowed)
    }

    fn source_description(&self, name: &str, reference: &str) -> Option<Cow<'_, Value>> {
        let doc = self.plan.doc(self.doc())?;
        let (url, kind) = doc.source_urls.get(name)?;
        // Arazzo 1.1: an operationId or workflowId first, then the Source
        // Description's own fields.
        if let Some(&api) = doc.apis.get(name)
            && let Some(spec) = self.plan.sources.openapi.get(api.get())
            && let Some(op) = spec.by_operation_id(reference).first()
        {
            return Some(Cow::Owned(Value::String(format!("{url}#{}", op.pointer))));
        }
        match reference {
            "url" => Some(Cow::Owned(Value::String(url.clone()))),
            "name" => Some(Cow::Owned(Value::String(name.to_string()))),
            "type" => kind.map(|k| Cow::Owned(Value::String(k.to_string()))),
            _ => None,
        }
    }

    fn component(&self, kind: ComponentKind, name: &str) -> Option<Cow<'_, Value>> {
        let doc = self.plan.doc(self.doc())?;
        doc.components
            .get(kind.as_str())?
            .get(name)
            .map(Cow::Borrowed)
    }

    fn self_uri(&self) -> Option<Cow<'_, str>> {
        let doc = self.plan.doc(self.doc())?;
        doc.self_uri.as_deref().map(Cow::Borrowed)
    }
}
