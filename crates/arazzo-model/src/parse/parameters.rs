//! Parameters, inline or as Reusable Objects.

use serde_json::{Map, Value};

use super::fields::*;
use super::{Parser, is_selector_object, join};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl Parser<'_> {
    pub(super) fn parameter_list(
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

    pub(super) fn reusable(&mut self, m: &Map<String, Value>, path: String) -> Reusable {
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

    pub(super) fn parameter(&mut self, v: &Value, path: String) -> Option<Parameter> {
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
}
