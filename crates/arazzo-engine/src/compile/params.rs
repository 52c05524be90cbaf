//! Parameters: resolving Reusable Objects, merging workflow and step lists, checking them against the operation.

use arazzo_model::model::{Parameter, ParameterIn, ParameterRef, Step, Version, Workflow};
use arazzo_model::validate::{ComponentKind, parse_component_reference};
use arazzo_model::{Code, Diagnostic};
use arazzo_openapi::Operation;
use arazzo_openapi::serialize::ParamLocation;
use serde_json::Value;

use super::Compiler;
use crate::plan::*;

/// A parameter resolved from an inline object or a Reusable Object.
pub(super) struct Resolved<'d> {
    param: &'d Parameter,
    /// The value, after a Reusable `value` override.
    value: &'d Value,
    /// JSON pointer of the value (for diagnostics).
    value_path: String,
}

impl<'a> Compiler<'a> {
    /// Resolves inline and Reusable parameters, then merges the workflow's
    /// with the step's: a step parameter with the same name and location
    /// replaces the workflow's (header names compare case-insensitively).
    pub(super) fn merge_params(
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

    /// An inline parameter, or the component a Reusable Object refers to
    /// with its `value` override; `None` when the reference does not resolve
    /// (the validator reports it).
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

    /// Compiles resolved parameters; `with_location` for an operation (each
    /// says where it goes), without for a workflow (they become its inputs).
    pub(super) fn compile_params(
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
                    Some(param_location(r.param.location?)?)
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

    /// Checks a step's parameters against its operation: parameters the
    /// operation does not declare, and required ones the step does not supply.
    pub(super) fn check_operation_params(
        &mut self,
        d: usize,
        step: &Step,
        op: OperationIndex,
        resolved: &[Resolved<'_>],
    ) {
        let Some(plan) = self.operations.get(op.get()) else {
            return;
        };
        let operation = plan.op.clone();
        for r in resolved {
            self.check_declared_param(d, &operation, r);
        }
        self.check_required_params(d, step, &operation, resolved);
    }

    /// Warns about a parameter the operation does not declare (it is sent anyway).
    fn check_declared_param(&mut self, d: usize, operation: &Operation, r: &Resolved<'_>) {
        let Some(loc) = r.param.location.and_then(param_location) else {
            return;
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
            let same_name_elsewhere = operation.parameters.iter().find(|p| p.name == r.param.name);
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

    /// Reports required operation parameters the step does not supply.
    fn check_required_params(
        &mut self,
        d: usize,
        step: &Step,
        operation: &Operation,
        resolved: &[Resolved<'_>],
    ) {
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

    /// The parameters of a goto or retry through a workflow (its inputs);
    /// `None` when the action has none.
    pub(super) fn action_params(
        &mut self,
        d: usize,
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
        Some(self.compile_params(d, &resolved, false))
    }
}

/// Where a parameter goes in a request; `None` for `in: body`, which Arazzo
/// 1.0.1 removed.
fn param_location(l: ParameterIn) -> Option<ParamLocation> {
    match l {
        ParameterIn::Path => Some(ParamLocation::Path),
        ParameterIn::Query => Some(ParamLocation::Query),
        ParameterIn::QueryString => Some(ParamLocation::QueryString),
        ParameterIn::Header => Some(ParamLocation::Header),
        ParameterIn::Cookie => Some(ParamLocation::Cookie),
        ParameterIn::Body => None,
    }
}
