//! An OpenAPI (2.0, 3.0, 3.1, 3.2) description over `serde_json::Value`,
//! with an index of its operations built once at load time.
//!
//! Nothing here deserializes the description into typed structs: unknown or
//! future fields never break loading, and `operationPath` — a JSON pointer
//! into the raw document — works on exactly what the author wrote.

use std::collections::HashMap;
use std::sync::Arc;

use arazzo_model::load::{Loaded, escape_token};
use indexmap::IndexMap;
use serde_json::Value;
use url::Url;

use crate::security::SecurityScheme;
use crate::store::Store;

/// Which OpenAPI specification a description follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// Swagger / OpenAPI 2.0 (`swagger: "2.0"`).
    Swagger2,
    /// OpenAPI 3.0.x.
    V3_0,
    /// OpenAPI 3.1.x.
    V3_1,
    /// OpenAPI 3.2.x.
    V3_2,
}

impl Version {
    /// Reads the version from a description's root object.
    pub fn detect(root: &Value) -> Option<Version> {
        if let Some(s) = root.get("swagger").and_then(version_text) {
            return s.starts_with("2.").then_some(Version::Swagger2);
        }
        let s = root.get("openapi").and_then(version_text)?;
        if s.starts_with("3.0") {
            Some(Version::V3_0)
        } else if s.starts_with("3.1") {
            Some(Version::V3_1)
        } else if s.starts_with("3.2") {
            Some(Version::V3_2)
        } else {
            None
        }
    }
}

fn version_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The HTTP methods a path item can hold, in the order the specification lists them.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "query",
];

/// One operation in the index.
#[derive(Debug, Clone)]
pub struct OpEntry {
    /// The path template, e.g. `/pets/{petId}`.
    pub path: String,
    /// The HTTP method, lower-case.
    pub method: String,
    /// `operationId`, if the operation has one.
    pub operation_id: Option<String>,
    /// The JSON pointer of the operation in this description, e.g. `/paths/~1pets/get`.
    pub pointer: String,
    /// The document the path item actually lives in (differs when the path item is a `$ref`).
    pub item_url: Url,
}

/// A loaded OpenAPI description.
#[derive(Debug)]
pub struct OpenApi {
    /// Where the description was loaded from.
    pub url: Url,
    /// The text, value and spans.
    pub doc: Arc<Loaded>,
    /// The specification version.
    pub version: Version,
    ops: Vec<OpEntry>,
    by_id: HashMap<String, Vec<usize>>,
    by_pointer: HashMap<String, usize>,
}

impl OpenApi {
    /// Indexes a loaded description. `store` must hold every document the
    /// description's path items refer to.
    pub fn new(url: Url, doc: Arc<Loaded>, version: Version, store: &Store) -> OpenApi {
        let mut api = OpenApi {
            url,
            doc,
            version,
            ops: Vec::new(),
            by_id: HashMap::new(),
            by_pointer: HashMap::new(),
        };
        api.index(store);
        api
    }

    fn index(&mut self, store: &Store) {
        let Some(paths) = self.doc.value.get("paths").and_then(Value::as_object) else {
            return;
        };
        let mut ops = Vec::new();
        for (template, item) in paths {
            if template.starts_with("x-") {
                continue;
            }
            let Ok(found) = store.resolve(&self.url, item) else {
                continue;
            };
            let Some(item_obj) = found.value.as_object() else {
                continue;
            };
            let base = format!("/paths/{}", escape_token(template));
            for method in METHODS {
                if let Some(op) = item_obj.get(*method).filter(|v| v.is_object()) {
                    ops.push(OpEntry {
                        path: template.clone(),
                        method: (*method).to_string(),
                        operation_id: op
                            .get("operationId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        pointer: format!("{base}/{method}"),
                        item_url: found.url.clone(),
                    });
                }
            }
            // OpenAPI 3.2: methods beyond the fixed fields.
            if let Some(extra) = item_obj
                .get("additionalOperations")
                .and_then(Value::as_object)
            {
                for (method, op) in extra {
                    if op.is_object() {
                        ops.push(OpEntry {
                            path: template.clone(),
                            method: method.to_ascii_lowercase(),
                            operation_id: op
                                .get("operationId")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            pointer: format!(
                                "{base}/additionalOperations/{}",
                                escape_token(method)
                            ),
                            item_url: found.url.clone(),
                        });
                    }
                }
            }
        }
        for (i, op) in ops.iter().enumerate() {
            if let Some(id) = &op.operation_id {
                self.by_id.entry(id.clone()).or_default().push(i);
            }
            self.by_pointer.insert(op.pointer.clone(), i);
        }
        self.ops = ops;
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> &[OpEntry] {
        &self.ops
    }

    /// The operations with this operationId (more than one is a defect of the description).
    pub fn by_operation_id(&self, id: &str) -> Vec<&OpEntry> {
        self.by_id
            .get(id)
            .map(|ix| ix.iter().filter_map(|&i| self.ops.get(i)).collect())
            .unwrap_or_default()
    }

    /// The operation at a JSON pointer such as `/paths/~1pets/get`.
    pub fn by_pointer(&self, pointer: &str) -> Option<&OpEntry> {
        self.by_pointer.get(pointer).and_then(|&i| self.ops.get(i))
    }

    /// The operation with this method and path template.
    pub fn by_method_path(&self, method: &str, path: &str) -> Option<&OpEntry> {
        self.ops
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(method) && o.path == path)
    }

    /// Every operationId, for "did you mean" suggestions.
    pub fn operation_ids(&self) -> impl Iterator<Item = &str> {
        self.ops.iter().filter_map(|o| o.operation_id.as_deref())
    }

    /// The display name of the description (its path or URL).
    pub fn name(&self) -> &str {
        self.doc.file.name()
    }

    /// The description's `info.title`, if any.
    pub fn title(&self) -> Option<&str> {
        self.doc
            .value
            .pointer("/info/title")
            .and_then(Value::as_str)
    }

    /// The security schemes the description declares (`components.securitySchemes`,
    /// or Swagger 2.0 `securityDefinitions`), `$ref`s resolved.
    pub fn security_schemes(&self, store: &Store) -> IndexMap<String, SecurityScheme> {
        let ptr = match self.version {
            Version::Swagger2 => "/securityDefinitions",
            _ => "/components/securitySchemes",
        };
        let mut out = IndexMap::new();
        if let Some(m) = self.doc.value.pointer(ptr).and_then(Value::as_object) {
            for (name, v) in m {
                let resolved = store.resolve(&self.url, v).map(|f| f.value).unwrap_or(v);
                out.insert(
                    name.clone(),
                    SecurityScheme::from_value(name, resolved, self.version),
                );
            }
        }
        out
    }
}
