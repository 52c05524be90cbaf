//! Reading fields with diagnostics: types, required fields, unknown fields, lists.

use serde_json::{Map, Value};

use super::closest;
use super::fields::*;
use super::{Parser, describe, is_strict_identifier, join, scalar_text};
use crate::diag::{Code, Diagnostic};
use crate::load::Part;
use crate::model::*;

impl Parser<'_> {
    pub(super) fn diag(
        &self,
        code: Code,
        pointer: &str,
        part: Part,
        msg: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(code, msg).at(self.src.locate(pointer, part))
    }

    pub(super) fn warn(
        &self,
        code: Code,
        pointer: &str,
        part: Part,
        msg: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::warning(code, msg).at(self.src.locate(pointer, part))
    }

    pub(super) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Checks that `v` is an object; reports and returns `None` otherwise.
    pub(super) fn object<'v>(
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
    pub(super) fn check_fields(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        what: &str,
        known: &[Field],
    ) {
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

    pub(super) fn missing(&mut self, path: &str, field: &str, what: &str) {
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

    pub(super) fn wrong_type(&mut self, path: &str, field: &str, expected: &str, found: &Value) {
        let d = self.diag(
            Code::WrongType,
            &join(path, field),
            Part::Value,
            format!("`{field}` must be {expected}, found {}", describe(found)),
        );
        self.push(d);
    }

    pub(super) fn req_string(
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

    pub(super) fn opt_string(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Option<String> {
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
    pub(super) fn list<'v>(
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

    pub(super) fn non_empty(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        field: &str,
        what: &str,
    ) {
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

    pub(super) fn string_list(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Vec<String> {
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

    pub(super) fn extensions(map: &Map<String, Value>) -> Extensions {
        map.iter()
            .filter(|(k, _)| k.starts_with("x-"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub(super) fn name_should_match(&mut self, path: &str, field: &str, value: &str, what: &str) {
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
}
