//! Finding the operation a step names: by `operationId` (bare or
//! `$sourceDescriptions.<name>.<operationId>`) or by `operationPath`
//! (`{$sourceDescriptions.<name>.url}#/paths/~1pets~1{petId}/get`).

use crate::document::OpEntry;
use crate::sources::{SourceTarget, Sources};
use crate::store::decode_fragment;

/// A resolved operation: which description, which index entry.
#[derive(Debug, Clone)]
pub struct Found {
    /// Index into [`Sources::openapi`].
    pub api: usize,
    /// The source description name it was found through.
    pub source: String,
    /// The operation's index entry.
    pub entry: OpEntry,
    /// A non-fatal remark, e.g. that a non-standard spelling was accepted.
    pub warning: Option<String>,
}

/// Why an operation could not be found.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    /// No source has an operation with this id.
    #[error("no operation `{id}` in {searched}")]
    NotFound {
        /// The id as written.
        id: String,
        /// Which sources were searched (for the message).
        searched: String,
        /// Close matches, best first.
        candidates: Vec<String>,
    },
    /// Several sources define the bare id.
    #[error("operation `{id}` exists in several source descriptions ({})", .sources.join(", "))]
    Ambiguous {
        /// The id.
        id: String,
        /// The sources defining it.
        sources: Vec<String>,
    },
    /// One description defines the id more than once.
    #[error("operationId `{id}` is defined {count} times in `{source_name}`")]
    Duplicate {
        /// The id.
        id: String,
        /// The source.
        source_name: String,
        /// How many times.
        count: usize,
    },
    /// The expression names a source that does not exist.
    #[error("there is no source description `{0}`")]
    UnknownSource(String),
    /// The source exists but is not an (loaded) OpenAPI description.
    #[error("source `{name}` {reason}")]
    NotOpenApi {
        /// The source.
        name: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The operationPath is not of the form `{$sourceDescriptions.<name>.url}#<pointer>`.
    #[error("`{path}` is not an operation path: {reason}")]
    BadPath {
        /// As written.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The pointer does not lead to an operation.
    #[error("`{pointer}` does not point at an operation in `{source_name}`{}", .hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    NotAnOperation {
        /// The JSON pointer.
        pointer: String,
        /// The source.
        source_name: String,
        /// What might be meant.
        hint: Option<String>,
        /// Close matches.
        candidates: Vec<String>,
    },
}

impl LookupError {
    /// Close matches to suggest.
    pub fn candidates(&self) -> &[String] {
        match self {
            LookupError::NotFound { candidates, .. }
            | LookupError::NotAnOperation { candidates, .. } => candidates,
            _ => &[],
        }
    }
}

impl Sources {
    /// Finds a step's `operationId` among the sources of Arazzo document `doc`.
    pub fn find_operation_id(&self, doc: usize, written: &str) -> Result<Found, LookupError> {
        if let Some(rest) = written.strip_prefix("$sourceDescriptions.") {
            let Some((source, id)) = rest.split_once('.') else {
                return Err(LookupError::BadPath {
                    path: written.into(),
                    reason: "expected `$sourceDescriptions.<name>.<operationId>`".into(),
                });
            };
            return self.in_source(doc, source, id);
        }
        let sources = self.openapi_sources(doc);
        let mut hits: Vec<Found> = Vec::new();
        for (name, api) in &sources {
            if let Some(spec) = self.openapi.get(*api) {
                let found = spec.by_operation_id(written);
                if found.len() > 1 {
                    return Err(LookupError::Duplicate {
                        id: written.into(),
                        source_name: (*name).into(),
                        count: found.len(),
                    });
                }
                if let Some(e) = found.first() {
                    hits.push(Found {
                        api: *api,
                        source: (*name).to_string(),
                        entry: (*e).clone(),
                        warning: None,
                    });
                }
            }
        }
        match hits.len() {
            1 => return Ok(hits.remove(0)),
            0 => {}
            _ => {
                // Split descriptions often repeat an operation in several
                // files. When every match is the same method and path there
                // is nothing to choose between: take the first source in
                // document order and say so.
                let first = &hits[0].entry;
                if hits
                    .iter()
                    .all(|h| h.entry.method == first.method && h.entry.path == first.path)
                {
                    let names: Vec<String> =
                        hits.iter().map(|h| format!("`{}`", h.source)).collect();
                    let mut f = hits.remove(0);
                    f.warning = Some(format!(
                        "`{written}` is defined in {}; using `{}` (write `$sourceDescriptions.{}.{written}` to choose explicitly)",
                        names.join(" and "),
                        f.source,
                        f.source
                    ));
                    return Ok(f);
                }
                return Err(LookupError::Ambiguous {
                    id: written.into(),
                    sources: hits.into_iter().map(|h| h.source).collect(),
                });
            }
        }
        // Redocly Respect accepts `<source>.<operationId>`; so do we, with a warning.
        if let Some((source, id)) = written.split_once('.')
            && sources.iter().any(|(n, _)| *n == source)
            && let Ok(mut f) = self.in_source(doc, source, id)
        {
            f.warning = Some(format!(
                "`{written}` is not standard Arazzo; write `$sourceDescriptions.{source}.{id}`"
            ));
            return Ok(f);
        }
        let all: Vec<&str> = sources
            .iter()
            .filter_map(|(_, api)| self.openapi.get(*api))
            .flat_map(|s| s.operation_ids())
            .collect();
        Err(LookupError::NotFound {
            id: written.into(),
            searched: describe_sources(&sources),
            candidates: arazzo_model::suggest::closest_n(written, all, 3)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
    }

    fn in_source(&self, doc: usize, source: &str, id: &str) -> Result<Found, LookupError> {
        let api = self.source_api(doc, source)?;
        let spec = self
            .openapi
            .get(api)
            .ok_or_else(|| LookupError::UnknownSource(source.into()))?;
        let found = spec.by_operation_id(id);
        match found.as_slice() {
            [e] => Ok(Found {
                api,
                source: source.to_string(),
                entry: (*e).clone(),
                warning: None,
            }),
            [] => Err(LookupError::NotFound {
                id: id.into(),
                searched: format!("source `{source}`"),
                candidates: arazzo_model::suggest::closest_n(id, spec.operation_ids(), 3)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            }),
            many => Err(LookupError::Duplicate {
                id: id.into(),
                source_name: source.into(),
                count: many.len(),
            }),
        }
    }

    fn source_api(&self, doc: usize, source: &str) -> Result<usize, LookupError> {
        let entry = self
            .arazzo
            .get(doc)
            .ok_or_else(|| LookupError::UnknownSource(source.into()))?;
        match entry.sources.get(source) {
            None => Err(LookupError::UnknownSource(source.into())),
            Some(SourceTarget::OpenApi(i)) => Ok(*i),
            Some(SourceTarget::Arazzo(_)) => Err(LookupError::NotOpenApi {
                name: source.into(),
                reason: "is an Arazzo document; operations live in OpenAPI descriptions".into(),
            }),
            Some(SourceTarget::AsyncApi(_)) => Err(LookupError::NotOpenApi {
                name: source.into(),
                reason: "is an AsyncAPI description; arazzo-run does not execute AsyncAPI steps"
                    .into(),
            }),
            Some(SourceTarget::Failed) => Err(LookupError::NotOpenApi {
                name: source.into(),
                reason: "could not be loaded".into(),
            }),
        }
    }

    /// Finds a step's `operationPath`.
    pub fn find_operation_path(&self, doc: usize, written: &str) -> Result<Found, LookupError> {
        let bad = |reason: &str| LookupError::BadPath {
            path: written.into(),
            reason: reason.into(),
        };
        let (expr, fragment, braced) = if let Some(rest) = written.strip_prefix('{') {
            let close = rest
                .find('}')
                .ok_or_else(|| bad("the `{` is never closed"))?;
            let (expr, after) = rest.split_at(close);
            (expr, after.get(1..).unwrap_or(""), true)
        } else {
            match written.find('#') {
                Some(i) => (&written[..i], &written[i..], false),
                None => (written, "", false),
            }
        };
        // The standard form is `{$sourceDescriptions.<name>.url}`. Two other
        // spellings appear in published documents and are accepted with a
        // warning: `$sourceDescriptions.<name>` (Redocly examples) and a bare
        // `<name>` (Jentic's generated workflows).
        let source = match expr.strip_prefix("$sourceDescriptions.") {
            Some(r) => r.strip_suffix(".url").unwrap_or(r),
            None if !braced
                && self
                    .arazzo
                    .get(doc)
                    .is_some_and(|a| a.sources.contains_key(expr)) =>
            {
                expr
            }
            None => {
                return Err(bad(
                    "expected `{$sourceDescriptions.<name>.url}#/paths/...`",
                ));
            }
        };
        let standard = braced && expr.ends_with(".url");
        let Some(pointer) = fragment.strip_prefix('#') else {
            return Err(bad(
                "a `#` and a JSON pointer to the operation must follow the source",
            ));
        };
        let api = self.source_api(doc, source)?;
        let spec = self
            .openapi
            .get(api)
            .ok_or_else(|| LookupError::UnknownSource(source.into()))?;
        let pointer = decode_fragment(pointer);
        let found = spec.by_pointer(&pointer).or_else(|| {
            // Authors write `{petId}` raw and sometimes `/` where `~1` belongs
            // inside the path template; try the path template as written.
            let rest = pointer.strip_prefix("/paths/")?;
            let (path, method) = rest.rsplit_once('/')?;
            let path = arazzo_model::load::unescape_token(path);
            spec.by_method_path(method, &path)
        });
        match found {
            Some(e) => Ok(Found {
                api,
                source: source.into(),
                entry: e.clone(),
                warning: (!standard).then(|| {
                    format!(
                        "`{written}` is not standard Arazzo; write `{{$sourceDescriptions.{source}.url}}{fragment}`"
                    )
                }),
            }),
            None => {
                let hint = spec
                    .operations()
                    .iter()
                    .find(|o| pointer == o.pointer.rsplit_once('/').map_or("", |(p, _)| p))
                    .map(|o| {
                        format!(
                            "the pointer ends at a path item; add the method, e.g. `{}`",
                            o.pointer
                        )
                    });
                Err(LookupError::NotAnOperation {
                    candidates: arazzo_model::suggest::closest_n(
                        &pointer,
                        spec.operations().iter().map(|o| o.pointer.as_str()),
                        3,
                    )
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                    pointer,
                    source_name: source.into(),
                    hint,
                })
            }
        }
    }
}

fn describe_sources(sources: &[(&str, usize)]) -> String {
    match sources {
        [] => "any source (the document has no loaded OpenAPI source)".into(),
        [(n, _)] => format!("source `{n}`"),
        many => format!(
            "sources {}",
            many.iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
