//! Matching request paths against the description's path templates.
//!
//! A template is split into `/`-separated segments; each is a literal, a whole-segment
//! parameter (`{petId}`) or a mix (`{name}.{ext}`, `{id}:cancel`). The request path is split the
//! same way *before* percent-decoding, so an encoded `/` stays inside its segment. Among the
//! templates that match, the most specific wins: segment by segment from the left, a literal
//! beats a mixed segment, which beats a plain parameter (so `/pets/mine` beats `/pets/{id}`).

use percent_encoding::percent_decode_str;

/// One path-template segment.
#[derive(Debug)]
enum Seg {
    Literal(String),
    Param(String),
    Mixed(regex::Regex, Vec<String>),
}

impl Seg {
    fn rank(&self) -> u8 {
        match self {
            Seg::Literal(_) => 0,
            Seg::Mixed(..) => 1,
            Seg::Param(_) => 2,
        }
    }
}

#[derive(Debug)]
struct Route {
    op: usize,
    method: String,
    segments: Vec<Seg>,
}

/// A matching route: its specificity (lower is more specific), the route, its parameters.
type Candidate<'r> = (Vec<u8>, &'r Route, Vec<(String, String)>);

/// The routing table of one description.
#[derive(Debug, Default)]
pub(crate) struct Router {
    routes: Vec<Route>,
}

/// The outcome of routing a request.
#[derive(Debug)]
pub(crate) enum Routed {
    /// The operation (index into the description's operations) and the path parameters,
    /// percent-decoded.
    Found(usize, Vec<(String, String)>),
    /// The path exists, the method does not: the methods that do (upper-case).
    MethodNotAllowed(Vec<String>),
    /// No template matches the path.
    NotFound,
}

impl Router {
    /// Builds the table from `(operation index, method, path template)` triples.
    pub(crate) fn new<'a>(ops: impl IntoIterator<Item = (usize, &'a str, &'a str)>) -> Router {
        let routes = ops
            .into_iter()
            .map(|(op, method, template)| Route {
                op,
                method: method.to_ascii_lowercase(),
                segments: split(normalize(template)).map(parse_segment).collect(),
            })
            .collect();
        Router { routes }
    }

    /// Routes `method` + `path` (the raw, still percent-encoded path of the request).
    pub(crate) fn route(&self, method: &str, path: &str) -> Routed {
        let raw: Vec<&str> = split(normalize(path)).collect();
        let decoded: Vec<String> = raw
            .iter()
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let mut matches: Vec<Candidate<'_>> = Vec::new();
        for r in &self.routes {
            if r.segments.len() != decoded.len() {
                continue;
            }
            if let Some(params) = match_route(r, &decoded) {
                let rank = r.segments.iter().map(Seg::rank).collect();
                matches.push((rank, r, params));
            }
        }
        if matches.is_empty() {
            return Routed::NotFound;
        }
        let method = method.to_ascii_lowercase();
        let best = matches
            .iter()
            .filter(|(_, r, _)| r.method == method)
            .min_by(|a, b| a.0.cmp(&b.0));
        if let Some((_, r, params)) = best {
            return Routed::Found(r.op, params.clone());
        }
        let mut allowed: Vec<String> = matches
            .iter()
            .map(|(_, r, _)| r.method.to_ascii_uppercase())
            .collect();
        allowed.sort();
        allowed.dedup();
        Routed::MethodNotAllowed(allowed)
    }
}

/// A template or path without query, fragment or trailing slash.
fn normalize(p: &str) -> &str {
    let p = p.split(['?', '#']).next().unwrap_or("");
    let trimmed = p.trim_end_matches('/');
    trimmed.strip_prefix('/').unwrap_or(trimmed)
}

fn split(p: &str) -> impl Iterator<Item = &str> {
    // The root path has no segments.
    p.split('/').filter({
        let empty = p.is_empty();
        move |_| !empty
    })
}

fn parse_segment(s: &str) -> Seg {
    let Some(open) = s.find('{') else {
        return Seg::Literal(percent_decode_str(s).decode_utf8_lossy().into_owned());
    };
    if open == 0 && s.ends_with('}') && s.matches('{').count() == 1 {
        return Seg::Param(s[1..s.len() - 1].to_string());
    }
    // Mixed: literal text around one or more `{name}`s.
    let mut pattern = String::from("^");
    let mut names = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let (lit, after) = rest.split_at(i);
        pattern.push_str(&regex::escape(&percent_decode_str(lit).decode_utf8_lossy()));
        match after.find('}') {
            Some(j) => {
                names.push(after[1..j].to_string());
                pattern.push_str("(.+?)");
                rest = &after[j + 1..];
            }
            None => {
                pattern.push_str(&regex::escape(after));
                rest = "";
            }
        }
    }
    pattern.push_str(&regex::escape(
        &percent_decode_str(rest).decode_utf8_lossy(),
    ));
    pattern.push('$');
    match regex::Regex::new(&pattern) {
        Ok(re) => Seg::Mixed(re, names),
        Err(_) => Seg::Literal(s.to_string()),
    }
}

fn match_route(r: &Route, segments: &[String]) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    for (seg, actual) in r.segments.iter().zip(segments) {
        match seg {
            Seg::Literal(l) => {
                if l != actual {
                    return None;
                }
            }
            Seg::Param(name) => {
                if actual.is_empty() {
                    return None;
                }
                params.push((name.clone(), actual.clone()));
            }
            Seg::Mixed(re, names) => {
                let caps = re.captures(actual)?;
                for (i, name) in names.iter().enumerate() {
                    let v = caps.get(i + 1)?.as_str();
                    params.push((name.clone(), v.to_string()));
                }
            }
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new([
            (0, "get", "/pets"),
            (1, "get", "/pets/{petId}"),
            (2, "get", "/pets/mine"),
            (3, "delete", "/pets/{petId}"),
            (4, "post", "/files/{name}.{ext}"),
            (5, "get", "/"),
            (6, "post", "/v1/{id}:cancel"),
        ])
    }

    fn found(r: Routed) -> (usize, Vec<(String, String)>) {
        match r {
            Routed::Found(op, p) => (op, p),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn routes() {
        let r = router();
        assert_eq!(found(r.route("GET", "/pets")).0, 0);
        assert_eq!(found(r.route("GET", "/pets/")).0, 0);
        assert_eq!(
            found(r.route("GET", "/pets/4%202")),
            (1, vec![("petId".into(), "4 2".into())])
        );
        assert_eq!(found(r.route("GET", "/pets/mine")).0, 2);
        assert_eq!(found(r.route("DELETE", "/pets/mine")).0, 3);
        assert_eq!(
            found(r.route("POST", "/files/a.b.txt")).1,
            vec![("name".into(), "a".into()), ("ext".into(), "b.txt".into())]
        );
        assert_eq!(found(r.route("GET", "/")).0, 5);
        assert_eq!(
            found(r.route("POST", "/v1/42:cancel")).1,
            vec![("id".into(), "42".into())]
        );
        assert_eq!(
            found(r.route("GET", "/pets/a%2Fb")).1,
            vec![("petId".into(), "a/b".into())]
        );
        assert!(matches!(r.route("GET", "/nope"), Routed::NotFound));
        assert!(matches!(r.route("GET", "/pets/1/2"), Routed::NotFound));
        match r.route("PUT", "/pets/1") {
            Routed::MethodNotAllowed(m) => assert_eq!(m, vec!["DELETE", "GET"]),
            other => panic!("{other:?}"),
        }
    }
}
