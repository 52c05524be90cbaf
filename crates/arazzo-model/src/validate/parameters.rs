//! Parameter lists: locations, duplicates, headers that differ only in case.

use std::collections::HashMap;

use super::{ComponentKind, Owner, Validator};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl<'a> Validator<'a> {
    pub(super) fn check_params(&mut self, params: &[ParameterRef], owner: Owner) {
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
}
