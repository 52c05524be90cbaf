//! Request bodies and payload replacements.

use serde_json::Value;

use super::fields::*;
use super::{Parser, is_selector_object, join};
use crate::model::*;

impl Parser<'_> {
    pub(super) fn request_body(&mut self, v: &Value, path: String) -> Option<RequestBody> {
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
}
