//! Schema validation for the mock: the shared validator of `arazzo_openapi::schema` (bundling
//! OpenAPI schemas into JSON Schema 2020-12, depth limits), with its errors located the way the
//! mock reports them (`$.body.pets[0].id`).

use arazzo_openapi::schema::{self, Direction, Refs};
use serde_json::Value;
use url::Url;

use crate::Violation;

pub(crate) use arazzo_openapi::schema::{Unusable, push_key};

/// A compiled schema (the shared one, reporting [`Violation`]s).
#[derive(Debug)]
pub(crate) struct SchemaValidator(schema::SchemaValidator);

/// Compiles `schema` (living in the document at `base`); see [`schema::compile`].
pub(crate) fn compile(
    refs: &dyn Refs,
    base: &Url,
    schema: &Value,
    dir: Direction,
    lenient: bool,
) -> Result<SchemaValidator, Unusable> {
    schema::compile(refs, base, schema, dir, lenient).map(SchemaValidator)
}

impl SchemaValidator {
    /// Whether `instance` is valid. A value too deep to validate safely is not taken as valid.
    pub(crate) fn is_valid(&self, instance: &Value) -> bool {
        self.0.is_valid(instance)
    }

    /// Every violation, located under `prefix` (such as `$.body`), at most `limit` of them.
    /// `Err` says why the value was not validated (it nests too deeply).
    pub(crate) fn violations(
        &self,
        instance: &Value,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<Violation>, String> {
        Ok(self
            .0
            .errors(instance, limit)?
            .into_iter()
            .map(|e| Violation {
                path: schema::json_path(prefix, instance, &e.instance_path),
                message: e.message,
            })
            .collect())
    }
}
