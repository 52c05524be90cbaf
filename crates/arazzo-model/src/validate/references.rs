//! Reusable Objects: `$components.<kind>.<name>` references.

use super::{ComponentKind, Validator, parse_component_reference};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl<'a> Validator<'a> {
    /// Resolves a Reusable parameter reference to the component, if it exists.
    pub(super) fn component_parameter(&self, r: &Reusable) -> Option<&'a Parameter> {
        let (kind, name) = parse_component_reference(&r.reference)?;
        (kind == ComponentKind::Parameters)
            .then(|| self.doc.components.parameters.get(name))
            .flatten()
    }

    pub(super) fn check_reference(&mut self, r: &Reusable, expected: ComponentKind) -> bool {
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
}
