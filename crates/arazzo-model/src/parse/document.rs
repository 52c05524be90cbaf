//! The root object: `info`, `sourceDescriptions`, `workflows` and `components`.

use serde_json::{Map, Value};

use super::actions::Role;
use super::fields::*;
use super::{Parser, is_identifier, join};
use crate::diag::Code;
use crate::load::{Loaded, Part};
use crate::model::*;

impl Parser<'_> {
    pub(super) fn document(
        &mut self,
        root: &Map<String, Value>,
        arazzo: String,
    ) -> Option<Document> {
        self.check_fields(root, "", "the Arazzo document", ROOT_FIELDS);
        let self_uri = self.opt_string(root, "", "$self");
        if let Some(s) = &self_uri
            && s.contains('#')
        {
            let d = self.diag(
                Code::InvalidValue,
                "/$self",
                Part::Value,
                "`$self` must not contain a fragment (`#…`)",
            );
            self.push(d);
        }
        let info = match root.get("info") {
            Some(v) => self.info(v),
            None => {
                self.missing("", "info", "the Arazzo document");
                Info::default()
            }
        };
        if !root.contains_key("sourceDescriptions") {
            self.missing("", "sourceDescriptions", "the Arazzo document");
        }
        self.non_empty(root, "", "sourceDescriptions", "the Arazzo document");
        let sources = self
            .list(root, "", "sourceDescriptions")
            .into_iter()
            .filter_map(|(p, v)| self.source_description(v, p))
            .collect();
        if !root.contains_key("workflows") {
            self.missing("", "workflows", "the Arazzo document");
        }
        self.non_empty(root, "", "workflows", "the Arazzo document");
        let workflows = self
            .list(root, "", "workflows")
            .into_iter()
            .filter_map(|(p, v)| self.workflow(v, p))
            .collect();
        let components = match root.get("components") {
            Some(v) => self.components(v),
            None => Components::default(),
        };
        Some(Document {
            source: Loaded {
                file: self.src.file.clone(),
                value: Value::Null,
                spans: Default::default(),
            },
            arazzo,
            version: self.version,
            self_uri,
            info,
            source_descriptions: sources,
            workflows,
            components,
            extensions: Self::extensions(root),
        })
    }

    pub(super) fn info(&mut self, v: &Value) -> Info {
        let Some(m) = self.object(v, "/info", "`info`") else {
            return Info::default();
        };
        self.check_fields(m, "/info", "`info`", INFO_FIELDS);
        Info {
            title: self.req_string(m, "/info", "title", "`info`"),
            summary: self.opt_string(m, "/info", "summary"),
            description: self.opt_string(m, "/info", "description"),
            version: self.req_string(m, "/info", "version", "`info`"),
            extensions: Self::extensions(m),
        }
    }

    fn source_description(&mut self, v: &Value, path: String) -> Option<SourceDescription> {
        let what = "a source description";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, SOURCE_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        self.name_should_match(&path, "name", &name, "the source description name");
        let url = self.req_string(m, &path, "url", what);
        let kind = match self.opt_string(m, &path, "type") {
            Some(t) => match SourceKind::from_field(&t) {
                Some(SourceKind::AsyncApi) if self.version == Version::V1_0 => {
                    let d = self.warn(
                        Code::VersionMismatch,
                        &join(&path, "type"),
                        Part::Value,
                        "`asyncapi` sources are an Arazzo 1.1 feature",
                    );
                    self.push(d);
                    Some(SourceKind::AsyncApi)
                }
                Some(k) => Some(k),
                None => {
                    let d = self
                        .diag(
                            Code::InvalidValue,
                            &join(&path, "type"),
                            Part::Value,
                            format!("unknown source description type `{t}`"),
                        )
                        .hint("use `openapi`, `arazzo` or (1.1) `asyncapi`");
                    self.push(d);
                    None
                }
            },
            None => None,
        };
        Some(SourceDescription {
            name,
            url,
            kind,
            extensions: Self::extensions(m),
            path,
        })
    }

    pub(super) fn components(&mut self, v: &Value) -> Components {
        let mut c = Components::default();
        let Some(m) = self.object(v, "/components", "`components`") else {
            return c;
        };
        self.check_fields(m, "/components", "`components`", COMPONENTS_FIELDS);
        c.extensions = Self::extensions(m);
        for (field, mapv) in m {
            if field.starts_with("x-") {
                continue;
            }
            let mpath = join("/components", field);
            let Some(entries) = self.object(mapv, &mpath, &format!("`components.{field}`")) else {
                continue;
            };
            for (key, value) in entries {
                let p = join(&mpath, key);
                if !is_identifier(key) {
                    let d = self.diag(
                        Code::InvalidName,
                        &p,
                        Part::Key,
                        format!("component name `{key}` must match ^[a-zA-Z0-9.\\-_]+$"),
                    );
                    self.push(d);
                }
                match field.as_str() {
                    "inputs" => {
                        if !value.is_object() && !value.is_boolean() {
                            self.wrong_type(&mpath, key, "a JSON Schema object", value);
                        }
                        c.inputs.insert(key.clone(), value.clone());
                    }
                    "parameters" => {
                        if let Some(param) = self.parameter(value, p) {
                            c.parameters.insert(key.clone(), param);
                        }
                    }
                    "successActions" => {
                        if let Some(am) = self.object(value, &p, "a success action") {
                            let a = self.action(am, p, Role::Success);
                            c.success_actions.insert(key.clone(), a);
                        }
                    }
                    "failureActions" => {
                        if let Some(am) = self.object(value, &p, "a failure action") {
                            let a = self.action(am, p, Role::Failure);
                            c.failure_actions.insert(key.clone(), a);
                        }
                    }
                    _ => {}
                }
            }
        }
        c
    }
}
