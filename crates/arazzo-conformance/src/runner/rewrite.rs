//! Copies a case directory and points every OpenAPI description in the copy
//! at the script server, for engines that cannot override servers (and for
//! descriptions that a `--server` flag does not reach, such as the sources of
//! nested Arazzo documents).
//!
//! The rewrite does what the library harness's server override does: the
//! description's server (OpenAPI 3 `servers`, Swagger 2 `host`, `basePath`
//! and `schemes`) becomes the script server's URL, with no base path, and
//! OAuth2 URLs on the old server's origin move to the script server. YAML
//! files are edited line by line so everything else stays as written; JSON
//! files are parsed and written back.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use url::Url;

/// A copy of the case in `scratch` with every OpenAPI description pointed at
/// `server_url`: the copy's directory and the case document's path inside it.
pub fn rewritten_case(
    lc: &crate::LoadedCase,
    scratch: &Path,
    server_url: &str,
) -> Result<(PathBuf, PathBuf), String> {
    let copy = copy_case(&lc.dir, scratch)?;
    point_descriptions_at(&copy, server_url)?;
    let rel = lc
        .document()?
        .strip_prefix(&lc.dir)
        .map_err(|e| e.to_string())?
        .to_path_buf();
    Ok((copy, rel))
}

/// Copies the directory `src` to `dest_root/<its name>` and returns the copy's path.
pub fn copy_case(src: &Path, dest_root: &Path) -> Result<PathBuf, String> {
    let name = src
        .file_name()
        .ok_or_else(|| format!("{}: not a directory name", src.display()))?;
    let dest = dest_root.join(name);
    copy_dir(src, &dest)?;
    Ok(dest)
}

fn copy_dir(src: &Path, dest: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    for entry in entries.flatten() {
        let from = entry.path();
        let to = dest.join(entry.file_name());
        if from.is_dir() {
            copy_dir(&from, &to)?;
        } else {
            std::fs::copy(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
        }
    }
    Ok(())
}

/// Rewrites every OpenAPI or Swagger description under `dir` to send its
/// requests to `server`; returns the files it changed.
pub fn point_descriptions_at(dir: &Path, server: &str) -> Result<Vec<PathBuf>, String> {
    let server = Url::parse(server).map_err(|e| format!("`{server}`: {e}"))?;
    let mut changed = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().and_then(|n| n.to_str()) == Some("case.yaml") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if let Some(new) = rewrite_description(&path.display().to_string(), &text, &server)
                && new != text
            {
                std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
                changed.push(path);
            }
        }
    }
    changed.sort();
    Ok(changed)
}

/// The OpenAPI version key of a description (`openapi` or `swagger`), if it is one.
fn description_kind(v: &Value) -> Option<&'static str> {
    let o = v.as_object()?;
    if o.contains_key("openapi") {
        Some("openapi")
    } else if o.contains_key("swagger") {
        Some("swagger")
    } else {
        None
    }
}

/// The origin (`scheme://host[:port]`) of the description's first server, if absolute.
fn old_origin(v: &Value, kind: &str) -> Option<String> {
    if kind == "swagger" {
        let host = v.get("host")?.as_str()?;
        let scheme = v
            .get("schemes")
            .and_then(Value::as_array)
            .and_then(|s| s.first())
            .and_then(Value::as_str)
            .unwrap_or("https");
        return Some(format!("{scheme}://{host}"));
    }
    let url = v
        .get("servers")?
        .as_array()?
        .first()?
        .get("url")?
        .as_str()?;
    let u = Url::parse(url).ok()?;
    let origin = u.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}

/// `text` with its servers pointed at `server`, or `None` when it is not a description.
pub fn rewrite_description(name: &str, text: &str, server: &Url) -> Option<String> {
    let loaded = arazzo_model::load::load(name, text.as_bytes()).ok()?;
    let kind = description_kind(&loaded.value)?;
    let old = old_origin(&loaded.value, kind);
    let new_origin = server.origin().ascii_serialization();
    let base = server.as_str().trim_end_matches('/').to_string();
    if text.trim_start().starts_with('{') {
        let mut v: Value = serde_json::from_str(text).ok()?;
        rewrite_json(&mut v, kind, server, &base, old.as_deref(), &new_origin);
        return serde_json::to_string_pretty(&v).ok().map(|s| s + "\n");
    }
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if kind == "swagger" {
        let host = server.host_str().unwrap_or("127.0.0.1");
        let host = match server.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        set_top_key(&mut lines, "host", &format!("host: \"{host}\""), kind);
        set_top_key(&mut lines, "basePath", "basePath: /", kind);
        set_top_key(
            &mut lines,
            "schemes",
            &format!("schemes: [{}]", server.scheme()),
            kind,
        );
    } else {
        set_top_key(
            &mut lines,
            "servers",
            &format!("servers: [{{url: \"{base}\"}}]"),
            kind,
        );
    }
    if let Some(old) = &old {
        for l in lines.iter_mut() {
            let key = l.trim_start();
            if ["tokenUrl:", "refreshUrl:", "authorizationUrl:"]
                .iter()
                .any(|k| key.starts_with(k))
                && l.contains(old.as_str())
            {
                *l = l.replace(old.as_str(), &new_origin);
            }
        }
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// Replaces the top-level `key` (with its block) by `line`, or inserts `line`
/// after the `openapi:`/`swagger:` line.
fn set_top_key(lines: &mut Vec<String>, key: &str, line: &str, kind: &str) {
    let is_key = |l: &str, k: &str| {
        l.strip_prefix(k)
            .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(" :"))
    };
    if let Some(i) = lines
        .iter()
        .position(|l| is_key(l, key) || is_key(l, &format!("\"{key}\"")))
    {
        // The value's block: indented lines, `- ` items at column 0, and an
        // unbalanced flow collection's continuation lines.
        let mut depth = flow_depth(&lines[i]);
        let mut j = i + 1;
        while j < lines.len() {
            let l = &lines[j];
            let continues = depth > 0
                || l.trim().is_empty()
                || l.starts_with(' ')
                || l.starts_with('\t')
                || l.starts_with('-') && !l.starts_with("---")
                || l.starts_with('#');
            if !continues {
                break;
            }
            depth += flow_depth(l);
            j += 1;
        }
        // Keep trailing blank lines and comments that precede the next key.
        while j > i + 1 && {
            let t = lines[j - 1].trim();
            t.is_empty() || t.starts_with('#')
        } {
            j -= 1;
        }
        lines.splice(i..j, [line.to_string()]);
        return;
    }
    let at = lines
        .iter()
        .position(|l| is_key(l, kind) || is_key(l, &format!("\"{kind}\"")))
        .map_or(0, |i| i + 1);
    lines.insert(at, line.to_string());
}

/// How many flow brackets a line opens minus closes (outside quotes, roughly).
fn flow_depth(line: &str) -> i32 {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => break,
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    depth
}

fn rewrite_json(
    v: &mut Value,
    kind: &str,
    server: &Url,
    base: &str,
    old: Option<&str>,
    new_origin: &str,
) {
    let Some(o) = v.as_object_mut() else { return };
    if kind == "swagger" {
        let host = server.host_str().unwrap_or("127.0.0.1");
        let host = match server.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        o.insert("host".into(), json!(host));
        o.insert("basePath".into(), json!("/"));
        o.insert("schemes".into(), json!([server.scheme()]));
    } else {
        o.insert("servers".into(), json!([{ "url": base }]));
        // Path- and operation-level servers are overridden too.
        if let Some(paths) = o.get_mut("paths").and_then(Value::as_object_mut) {
            for item in paths.values_mut().filter_map(Value::as_object_mut) {
                item.remove("servers");
                for op in item.values_mut().filter_map(Value::as_object_mut) {
                    op.remove("servers");
                }
            }
        }
    }
    if let Some(old) = old {
        replace_oauth_urls(v, old, new_origin);
    }
}

fn replace_oauth_urls(v: &mut Value, old: &str, new_origin: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s)
                        if matches!(k.as_str(), "tokenUrl" | "refreshUrl" | "authorizationUrl")
                            && s.starts_with(old) =>
                    {
                        *s = s.replacen(old, new_origin, 1);
                    }
                    _ => replace_oauth_urls(x, old, new_origin),
                }
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| replace_oauth_urls(x, old, new_origin)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:4000").unwrap()
    }

    #[test]
    fn yaml_flow_servers_replaced() {
        let text = "openapi: 3.1.0\ninfo: {title: A, version: \"1\"}\nservers: [{url: \"https://api.example.com/v1\"}]\npaths: {}\ncomponents:\n  securitySchemes:\n    o:\n      type: oauth2\n      flows:\n        clientCredentials:\n          tokenUrl: https://api.example.com/oauth/token\n          scopes: {}\n";
        let out = rewrite_description("a.yaml", text, &url()).unwrap();
        assert!(out.contains("servers: [{url: \"http://127.0.0.1:4000\"}]\npaths: {}"));
        assert!(out.contains("tokenUrl: http://127.0.0.1:4000/oauth/token"));
        assert!(!out.contains("example.com"));
    }

    #[test]
    fn yaml_block_servers_replaced_and_missing_inserted() {
        let text = "openapi: 3.0.3\nservers:\n  - url: https://a.example.com\n    description: x\n\npaths: {}\n";
        let out = rewrite_description("a.yaml", text, &url()).unwrap();
        assert_eq!(
            out,
            "openapi: 3.0.3\nservers: [{url: \"http://127.0.0.1:4000\"}]\n\npaths: {}\n"
        );
        let text = "openapi: 3.1.0\npaths: {}\n";
        let out = rewrite_description("a.yaml", text, &url()).unwrap();
        assert_eq!(
            out,
            "openapi: 3.1.0\nservers: [{url: \"http://127.0.0.1:4000\"}]\npaths: {}\n"
        );
    }

    #[test]
    fn json_and_swagger() {
        let text = r#"{"openapi": "3.1.0", "servers": [{"url": "https://x.example.com"}], "paths": {"/a": {"servers": [], "get": {"servers": []}}}}"#;
        let out = rewrite_description("a.json", text, &url()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["servers"][0]["url"], "http://127.0.0.1:4000");
        assert!(v["paths"]["/a"].get("servers").is_none());
        let text =
            "swagger: \"2.0\"\nhost: api.example.com\nbasePath: /v2\nschemes: [https]\npaths: {}\n";
        let out = rewrite_description("a.yaml", text, &url()).unwrap();
        assert_eq!(
            out,
            "swagger: \"2.0\"\nhost: \"127.0.0.1:4000\"\nbasePath: /\nschemes: [http]\npaths: {}\n"
        );
        assert!(rewrite_description("a.yaml", "arazzo: 1.0.1\n", &url()).is_none());
    }
}
