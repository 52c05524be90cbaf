//! Servers: where an operation's requests go.
//!
//! The first server applies by default, its variables take their defaults
//! (or values the user supplies), and a relative server URL is resolved
//! against the description's own URL. A user override replaces the whole
//! base URL of a source description — how tests point a workflow at a local
//! server, and how a staging environment is chosen.

use indexmap::IndexMap;
use serde_json::Value;
use url::Url;

/// A server variable.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerVariable {
    /// `default`.
    pub default: String,
    /// `enum`, if the variable is restricted.
    pub allowed: Vec<String>,
}

/// A Server Object.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// The URL template, e.g. `https://{region}.example.com/v1`.
    pub url: String,
    /// Variables with their defaults.
    pub variables: IndexMap<String, ServerVariable>,
    /// `description`.
    pub description: Option<String>,
}

/// Why a server URL could not be determined.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServerError {
    /// A variable in the template has no value.
    #[error("server `{url}` uses the variable `{{{name}}}`, which has no default")]
    MissingVariable {
        /// The template.
        url: String,
        /// The variable.
        name: String,
    },
    /// The URL is not valid.
    #[error("server URL `{url}` is not valid: {reason}")]
    Invalid {
        /// The URL after substitution.
        url: String,
        /// Why.
        reason: String,
    },
    /// The URL resolves to something that is not http(s) (e.g. a relative
    /// server on a description loaded from a file).
    #[error("server `{url}` resolves to `{resolved}`, which is not an http(s) URL")]
    NotHttp {
        /// The template.
        url: String,
        /// What it resolved to.
        resolved: String,
    },
}

impl Server {
    /// Reads a Server Object.
    pub fn from_value(v: &Value) -> Option<Server> {
        let url = v.get("url")?.as_str()?.to_string();
        let variables = v
            .get("variables")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, var)| {
                        let default = match var.get("default") {
                            Some(Value::String(s)) => s.clone(),
                            Some(Value::Null) | None => String::new(),
                            Some(other) => other.to_string(),
                        };
                        let allowed = var
                            .get("enum")
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .map(|x| {
                                        x.as_str().map_or_else(|| x.to_string(), str::to_string)
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.clone(), ServerVariable { default, allowed })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Server {
            url,
            variables,
            description: v
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// The server OpenAPI 3 assumes when none is declared: `/`.
    pub fn relative_root() -> Server {
        Server {
            url: "/".into(),
            variables: IndexMap::new(),
            description: None,
        }
    }

    /// The absolute base URL: variables substituted (from `values`, else
    /// their defaults) and a relative URL resolved against `doc_url`.
    pub fn resolve(
        &self,
        doc_url: &Url,
        values: &IndexMap<String, String>,
    ) -> Result<Url, ServerError> {
        let mut out = String::with_capacity(self.url.len());
        let mut rest = self.url.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let name = &after[..close];
            let value = values
                .get(name)
                .cloned()
                .or_else(|| self.variables.get(name).map(|v| v.default.clone()))
                .filter(|v| !v.is_empty() || self.variables.contains_key(name))
                .ok_or_else(|| ServerError::MissingVariable {
                    url: self.url.clone(),
                    name: name.to_string(),
                })?;
            out.push_str(&value);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        let resolved = match Url::parse(&out) {
            Ok(u) => u,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                doc_url.join(&out).map_err(|e| ServerError::Invalid {
                    url: out.clone(),
                    reason: e.to_string(),
                })?
            }
            Err(e) => {
                return Err(ServerError::Invalid {
                    url: out,
                    reason: e.to_string(),
                });
            }
        };
        if !matches!(resolved.scheme(), "http" | "https") {
            return Err(ServerError::NotHttp {
                url: self.url.clone(),
                resolved: resolved.to_string(),
            });
        }
        Ok(resolved)
    }
}

/// Swagger 2.0: the server made of `schemes`, `host` and `basePath`. A
/// missing host means the host the description was served from.
pub fn swagger2_server(root: &Value, doc_url: &Url) -> Server {
    let scheme = root
        .get("schemes")
        .and_then(Value::as_array)
        .and_then(|a| {
            // Prefer https when both are offered.
            let s: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            s.iter()
                .find(|x| **x == "https")
                .or_else(|| s.first())
                .map(|x| x.to_string())
        })
        .unwrap_or_else(|| {
            if matches!(doc_url.scheme(), "http" | "https") {
                doc_url.scheme().to_string()
            } else {
                "https".to_string()
            }
        });
    let base_path = root.get("basePath").and_then(Value::as_str).unwrap_or("");
    let url = match root.get("host").and_then(Value::as_str) {
        Some(host) => format!("{scheme}://{host}{base_path}"),
        // Relative to the document's own host.
        None => {
            if base_path.is_empty() {
                "/".to_string()
            } else {
                base_path.to_string()
            }
        }
    };
    Server {
        url,
        variables: IndexMap::new(),
        description: None,
    }
}

/// Joins a base URL and an expanded path template: the path is appended to
/// the base path (not resolved against it), as OpenAPI specifies.
pub fn join_path(base: &Url, path_and_query: &str) -> Result<Url, url::ParseError> {
    let mut s = base.as_str().trim_end_matches('/').to_string();
    if !path_and_query.starts_with('/') {
        s.push('/');
    }
    s.push_str(path_and_query);
    Url::parse(&s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn doc() -> Url {
        Url::parse("https://api.example.com/specs/openapi.yaml").unwrap()
    }

    #[test]
    fn variables_and_relative_urls() {
        let s = Server::from_value(&json!({
            "url": "https://{region}.example.com/{v}",
            "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}, "v": {"default": "v2"}}
        }))
        .unwrap();
        assert_eq!(
            s.resolve(&doc(), &IndexMap::new()).unwrap().as_str(),
            "https://eu.example.com/v2"
        );
        let mut vals = IndexMap::new();
        vals.insert("region".to_string(), "us".to_string());
        assert_eq!(
            s.resolve(&doc(), &vals).unwrap().as_str(),
            "https://us.example.com/v2"
        );
        let rel = Server::from_value(&json!({"url": "/v1"})).unwrap();
        assert_eq!(
            rel.resolve(&doc(), &IndexMap::new()).unwrap().as_str(),
            "https://api.example.com/v1"
        );
        let file = Url::parse("file:///tmp/openapi.yaml").unwrap();
        assert!(matches!(
            rel.resolve(&file, &IndexMap::new()),
            Err(ServerError::NotHttp { .. })
        ));
        let missing = Server::from_value(&json!({"url": "https://{x}.io"})).unwrap();
        assert!(matches!(
            missing.resolve(&doc(), &IndexMap::new()),
            Err(ServerError::MissingVariable { .. })
        ));
    }

    #[test]
    fn swagger2() {
        let s = swagger2_server(
            &json!({"host": "petstore.io", "basePath": "/v2", "schemes": ["http", "https"]}),
            &doc(),
        );
        assert_eq!(s.url, "https://petstore.io/v2");
        let s = swagger2_server(&json!({"basePath": "/api"}), &doc());
        assert_eq!(
            s.resolve(&doc(), &IndexMap::new()).unwrap().as_str(),
            "https://api.example.com/api"
        );
    }

    #[test]
    fn join_keeps_the_base_path() {
        let base = Url::parse("https://x.io/v1/").unwrap();
        assert_eq!(
            join_path(&base, "/pets/1?a=b").unwrap().as_str(),
            "https://x.io/v1/pets/1?a=b"
        );
        let base = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join_path(&base, "/pets").unwrap().as_str(),
            "http://127.0.0.1:8080/pets"
        );
    }
}
