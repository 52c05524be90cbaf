//! JSONPath (RFC 9535) through `serde_json_path`, within a work budget.
//!
//! `serde_json_path` recurses once per nesting level while parsing (4,000 nested
//! parentheses overflowed the stack) and has no work budget while evaluating (RFC 9535
//! keeps duplicates, so `$..*..*..*` or a filter of thousands of terms over a large
//! array runs for seconds or exhausts memory). So:
//!
//! 1. a query nested deeper than [`MAX_NESTING`](crate::limits::MAX_NESTING) is refused
//!    before it is parsed;
//! 2. its shape is read ([`shape`]) and each top-level segment is compiled on its own;
//! 3. evaluation runs segment by segment; before a segment runs on a node, an upper bound
//!    of its work there (from the node's actual size, [`cost`]) is charged to a budget
//!    of [`JSONPATH_WORK_LIMIT`] units, and the evaluation fails when the budget would
//!    be exceeded.

mod cost;
mod shape;

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::limits::{JSONPATH_WORK_LIMIT, Lang};
use cost::{Budget, Over, RootStats};
use shape::{Expr, QueryShape, Sel};

/// The JSONPath versions the Expression Type Object allows.
pub(crate) const VERSIONS: &[&str] = &["rfc9535", "draft-goessner-dispatch-jsonpath-00"];

/// A compiled query with what its work bound needs.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    path: JsonPath,
    plan: Plan,
}

#[derive(Debug, Clone)]
enum Plan {
    /// Names and indices only: the work is the number of segments.
    Singular,
    /// Run segment by segment, each segment's query (`$` and the segment) on each node.
    Steps(Vec<(JsonPath, shape::SegShape)>),
    /// A filter refers to the root (`$`), so segments cannot run on their own: one bound
    /// for the whole query, from the root's size.
    Whole(QueryShape),
    /// The shape could not be read: the query is not run.
    Unknown,
}

/// Compiles an RFC 9535 query. The error explains the position and, for the common
/// JavaScript-style mistakes (`$.ok == true`, `$.items.length > 0`), what to write
/// instead.
pub(crate) fn compile(query: &str) -> Result<Compiled, String> {
    crate::limits::check_nesting(query, Lang::JsonPath, "JSONPath query").map_err(|e| {
        format!(
            "JSONPath `{}`: {} (at character {})",
            shorten(query),
            e.message,
            query[..e.span.start].chars().count()
        )
    })?;
    let path = parse(query)?;
    let plan = match shape::parse(query) {
        None => Plan::Unknown,
        Some(q) if q.is_singular() => Plan::Singular,
        Some(q) if q.segments.iter().any(refers_to_root) => Plan::Whole(q),
        Some(q) => {
            let mut steps = Vec::with_capacity(q.segments.len());
            for seg in q.segments {
                let text = format!("${}", query.get(seg.span.clone()).unwrap_or_default());
                match JsonPath::parse(&text) {
                    Ok(p) => steps.push((p, seg)),
                    Err(_) => {
                        return Ok(Compiled {
                            path,
                            plan: Plan::Unknown,
                        });
                    }
                }
            }
            Plan::Steps(steps)
        }
    };
    Ok(Compiled { path, plan })
}

/// A query as quoted in a message: its first 80 characters.
fn shorten(q: &str) -> String {
    match q.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &q[..i]),
        None => q.to_owned(),
    }
}

/// True when a filter of the segment (at any depth) contains an absolute query.
fn refers_to_root(seg: &shape::SegShape) -> bool {
    fn expr(e: &Expr) -> bool {
        match e {
            Expr::Literal(_) => false,
            Expr::Query(q) => !q.relative || q.segments.iter().any(refers_to_root),
            Expr::Call { args, .. } | Expr::Logic(args) => args.iter().any(expr),
            Expr::Compare(a, b) => expr(a) || expr(b),
        }
    }
    seg.selectors.iter().any(|s| match s {
        Sel::Filter(e) => expr(e),
        _ => false,
    })
}

fn parse(query: &str) -> Result<JsonPath, String> {
    JsonPath::parse(query).map_err(|e| {
        let mut msg = format!(
            "invalid RFC 9535 JSONPath `{query}` at character {}: {}",
            e.position(),
            e.message()
        );
        if looks_like_comparison(query) {
            msg.push_str(
                "; a JSONPath query selects nodes and has no top-level comparison or \
                 `.length`: filter instead (e.g. `$[?@.status == 'done']`), or use a \
                 `simple` condition such as `$response.body.status == 'done'`",
            );
        }
        msg
    })
}

/// True when the query has an operator outside brackets, or uses `.length`.
fn looks_like_comparison(q: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let chars: Vec<char> = q.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(qc) = quote {
            if c == qc {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '=' | '<' | '>' | '&' | '|' | '!' if depth == 0 => return true,
            _ => {}
        }
        if depth == 0 && c == '.' && chars[i + 1..].starts_with(&['l', 'e', 'n', 'g', 't', 'h']) {
            return true;
        }
    }
    false
}

/// An RFC 9535 "singular query": only name and index segments, so it selects at most one
/// node. Selectors return that node's value; other queries return an array of values.
pub(crate) fn is_singular(q: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut prev = '\0';
    for c in q.chars() {
        if let Some(qc) = quote {
            if c == qc && prev != '\\' {
                quote = None;
            }
            prev = c;
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '*' | '?' | ':' | ',' => return false,
            '.' if prev == '.' => return false,
            _ => {}
        }
        prev = c;
    }
    true
}

/// Whether a query that starts by filtering the root (`$[?@.title == 'x']`) keeps an
/// object context itself. RFC 9535 applies such a filter to the object's member
/// values, but authors — the specification's own examples (`$[?count(@.pets) > 0]`,
/// `$[?@.access_token != null]`) and Respect, which queries `[context]` — mean the
/// object. Asked only when the RFC 9535 reading selected nothing.
pub(crate) fn filters_root_object(
    path: &Compiled,
    query: &str,
    value: &Value,
) -> Result<bool, String> {
    let starts_with_filter = query
        .trim_start()
        .strip_prefix('$')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('['))
        .is_some_and(|r| r.trim_start().starts_with('?'));
    if !starts_with_filter || !value.is_object() {
        return Ok(false);
    }
    let wrapped = Value::Array(vec![value.clone()]);
    Ok(!select(path, &wrapped)?.is_empty())
}

/// Runs a query within [`JSONPATH_WORK_LIMIT`]; the error says the limit was reached.
pub(crate) fn select<'v>(c: &Compiled, value: &'v Value) -> Result<Vec<&'v Value>, String> {
    let mut budget = Budget::new(JSONPATH_WORK_LIMIT);
    let over = |_: Over| {
        format!(
            "the JSONPath query `{}` would exceed the work limit of {JSONPATH_WORK_LIMIT} \
             (nodes visited, selected and compared) on this value; use fewer descendant \
             segments, wildcards or filter terms, or a smaller value",
            shorten(&c.path.to_string())
        )
    };
    match &c.plan {
        Plan::Singular => Ok(c.path.query(value).all()),
        Plan::Unknown => Err(format!(
            "arazzo-run cannot bound the work of the JSONPath query `{}`, so it does not run it",
            shorten(&c.path.to_string())
        )),
        Plan::Whole(q) => {
            let mut root = RootStats::new(value);
            let start = root.get(&mut budget).map_err(over)?;
            let mut src = WholeSource { root: start };
            let work = cost::query(q, start, &mut src).map_err(over)?;
            budget.charge(work).map_err(over)?;
            Ok(c.path.query(value).all())
        }
        Plan::Steps(steps) => {
            let mut root = RootStats::new(value);
            let mut list = vec![value];
            for (path, seg) in steps {
                let fixed = cost::filter_costs(seg, &mut root, &mut budget).map_err(over)?;
                let mut next = Vec::new();
                for node in list {
                    let work =
                        cost::segment(seg, &fixed, node, &mut root, &mut budget).map_err(over)?;
                    budget.charge(work).map_err(over)?;
                    next.extend(path.query(node).all());
                }
                list = next;
            }
            Ok(list)
        }
    }
}

/// For a whole-query bound: every node is within the root.
struct WholeSource {
    root: cost::Stats,
}

impl cost::Source for WholeSource {
    fn current(&mut self) -> Result<cost::Stats, Over> {
        Ok(self.root)
    }
    fn root(&mut self) -> Result<cost::Stats, Over> {
        Ok(self.root)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every query `serde_json_path` accepts gets a plan that runs it (never
    /// [`Plan::Unknown`]), and running it segment by segment gives the same nodes.
    fn same_as_serde_json_path(query: &str, value: &Value) {
        assert!(
            bounded_same_as_serde_json_path(query, value),
            "{query}: over the budget"
        );
    }

    /// Like [`same_as_serde_json_path`], but a query over the budget is `false`.
    fn bounded_same_as_serde_json_path(query: &str, value: &Value) -> bool {
        let Ok(reference) = JsonPath::parse(query) else {
            return true;
        };
        let c = compile(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert!(
            !matches!(c.plan, Plan::Unknown),
            "the shape of `{query}` could not be read"
        );
        match select(&c, value) {
            Ok(got) => assert_eq!(got, reference.query(value).all(), "{query}"),
            Err(e) if e.contains("work limit") => return false,
            Err(e) => panic!("{query}: {e}"),
        }
        true
    }

    fn sample() -> Value {
        json!({
            "store": {
                "book": [
                    {"category": "reference", "author": "Nigel Rees", "price": 8.95, "tags": ["a", "b"]},
                    {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99, "isbn": "x"},
                    {"category": "fiction", "title": "Moby Dick", "price": 8.99, "tags": []}
                ],
                "bicycle": {"color": "red", "price": 399}
            },
            "a": [3, 5, 1, 2, 4, 6, {"b": "j"}, {"b": "k"}, {"b": {}}, {"b": "kilo"}],
            "o": {"p": 1, "q": 2, "r": 3, "s": 5, "t": {"u": 6}},
            "e": [],
            "k": "b"
        })
    }

    #[test]
    fn rfc_9535_examples_run_the_same_segment_by_segment() {
        let v = sample();
        for q in [
            "$",
            "$.store.book[*].author",
            "$..author",
            "$.store.*",
            "$.store..price",
            "$..book[2]",
            "$..book[-1]",
            "$..book[0,1]",
            "$..book[:2]",
            "$..book[::-1]",
            "$..book[?@.isbn]",
            "$..book[?@.price<10]",
            "$..*",
            "$.a[?@.b == 'kilo']",
            "$.a[?(@.b == 'kilo')]",
            "$.a[?@>3.5]",
            "$.a[?@.b]",
            "$[?@.*]",
            "$[?@[?@.b]]",
            "$.o[?@<3, ?@<3]",
            "$.a[?@<2 || @.b == \"k\"]",
            "$.a[?match(@.b, \"[jk]\")]",
            "$.a[?search(@.b, \"[jk]\")]",
            "$.o[?@>1 && @<4]",
            "$.o[?@.u || @.x]",
            "$.a[?@.b == @.x]",
            "$.a[?@ == @]",
            "$.store.book[?length(@.tags) >= 1]",
            "$.store.book[?count(@.*) > 4]",
            "$.store.book[?value(@..color) == 'red']",
            "$.store.book[?!@.isbn]",
            "$.store.book[?!(@.price > 9)]",
            "$['store']['book'][0]['author']",
            "$[\"store\"]..[\"price\"]",
            "$..[0]",
            "$.store.book[ 1 : 3 : 1 ]",
            "$.store . book",
            "$.a[?@.b == 'k' && (@.b != 'j' || !@.c)]",
            "$.a[?@ == null || @ == true || @ == false || @ == -1.5e0]",
        ] {
            same_as_serde_json_path(q, &v);
        }
    }

    #[test]
    fn queries_that_refer_to_the_root_get_one_bound() {
        let v = sample();
        for q in [
            "$.a[?@.b == $.k]",
            "$..book[?@.price < $.store.bicycle.price]",
        ] {
            let c = compile(q).unwrap();
            assert!(matches!(c.plan, Plan::Whole(_)), "{q}");
            same_as_serde_json_path(q, &v);
        }
    }

    /// A small random generator (xorshift), so that the test is deterministic.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    fn ws(r: &mut Rng) -> &'static str {
        r.pick(&["", "", "", " ", "\n "])
    }

    fn gen_query(r: &mut Rng, root: &str, depth: usize) -> String {
        let mut q = String::from(root);
        for _ in 0..r.below(4) {
            q.push_str(ws(r));
            match r.below(6) {
                0 => q.push_str(r.pick(&[".a", ".b", ".*", "._x", ".é"])),
                1 => q.push_str(r.pick(&["..a", "..*", "..[0]", "..['b']"])),
                _ => {
                    q.push('[');
                    for i in 0..1 + r.below(3) {
                        if i > 0 {
                            q.push_str(ws(r));
                            q.push(',');
                            q.push_str(ws(r));
                        }
                        match r.below(5) {
                            0 if depth > 0 => {
                                q.push('?');
                                q.push_str(ws(r));
                                q.push_str(&gen_logical(r, depth - 1));
                            }
                            0 | 1 => q.push_str(r.pick(&["0", "-1", "2", "'a'", "\"b\""])),
                            2 => q.push_str(r.pick(&["1:", ":2", "::-1", "0 : 3 : 1", ":"])),
                            3 => q.push('*'),
                            _ => q.push_str(r.pick(&["'\\''", "'x]'", "\"(\""])),
                        }
                    }
                    q.push_str(ws(r));
                    q.push(']');
                }
            }
        }
        q
    }

    fn gen_comparable(r: &mut Rng, depth: usize) -> String {
        match r.below(6) {
            0 => r
                .pick(&["1", "-2.5", "1e3", "'s'", "\"t\"", "true", "null"])
                .into(),
            1 => format!("length({})", gen_query(r, "@", depth)),
            2 => format!("value({})", gen_query(r, "@", depth)),
            3 => gen_query(r, "$", depth),
            _ => gen_query(r, "@", depth),
        }
    }

    fn gen_basic(r: &mut Rng, depth: usize) -> String {
        match r.below(7) {
            0 if depth > 0 => format!("({})", gen_logical(r, depth - 1)),
            1 if depth > 0 => format!("!({})", gen_logical(r, depth - 1)),
            2 => format!("!{}", gen_query(r, "@", depth)),
            3 => format!(
                "{}({}, {})",
                r.pick(&["match", "search"]),
                gen_query(r, "@", depth),
                r.pick(&["'a.*'", "'[0-9]+'", "@.p"])
            ),
            4 => format!("count({}) > 0", gen_query(r, "@", depth)),
            5 => gen_query(r, "@", depth),
            _ => {
                let op = r.pick(&["==", "!=", "<", "<=", ">", ">="]);
                let (a, b) = (gen_comparable(r, depth), gen_comparable(r, depth));
                format!("{a}{}{op}{}{b}", ws(r), ws(r))
            }
        }
    }

    fn gen_logical(r: &mut Rng, depth: usize) -> String {
        let mut e = gen_basic(r, depth);
        for _ in 0..r.below(3) {
            let op = r.pick(&["&&", "||"]);
            e = format!("{e}{}{op}{}{}", ws(r), ws(r), gen_basic(r, depth));
        }
        e
    }

    /// Random queries from a generator of RFC 9535 syntax: whatever `serde_json_path`
    /// accepts, the shape reader reads, and the bounded evaluation agrees with it.
    #[test]
    fn random_queries_are_read_whenever_serde_json_path_accepts_them() {
        let v = sample();
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut over) = (0, Vec::new());
        for _ in 0..5_000 {
            let q = gen_query(&mut r, "$", 3);
            if JsonPath::parse(&q).is_ok() {
                accepted += 1;
                if !bounded_same_as_serde_json_path(&q, &v) {
                    over.push(q);
                }
            }
        }
        assert!(
            accepted > 2_000,
            "only {accepted} random queries were valid"
        );
        // The bounds are loose for queries nesting filters three deep that compare with
        // the root and call regexes; none of the simpler ones is refused.
        assert!(
            over.len() * 100 < accepted,
            "{} of {accepted} over: {over:#?}",
            over.len()
        );
    }

    fn limit_error(query: &str, value: &Value) -> String {
        let c = compile(query).unwrap();
        select(&c, value).expect_err(query)
    }

    #[test]
    fn duplicates_that_grow_exponentially_hit_the_budget() {
        // Each segment lists every node ten times: 10^8 nodes after eight segments.
        let mut v = json!(1);
        for _ in 0..8 {
            v = json!([v]);
        }
        let q = format!("${}", "[0,0,0,0,0,0,0,0,0,0]".repeat(8));
        assert!(limit_error(&q, &v).contains("work limit"));
        let chain = (0..200).fold(json!(1), |acc, _| json!({ "a": acc }));
        assert!(limit_error("$..*..*..*..*", &chain).contains("work limit"));
    }

    #[test]
    fn a_long_filter_over_a_large_array_hits_the_budget() {
        let items: Vec<Value> = (0..50_000).map(|i| json!({ "id": i })).collect();
        let v = Value::Array(items);
        let terms: Vec<String> = (0..500).map(|i| format!("@.id == {i}")).collect();
        let q = format!("$[?{}]", terms.join(" || "));
        assert!(limit_error(&q, &v).contains("work limit"));
        // The same array with a short filter runs.
        let c = compile("$[?@.id == 49999]").unwrap();
        assert_eq!(select(&c, &v).unwrap().len(), 1);
    }

    #[test]
    fn small_per_item_work_is_measured_per_item() {
        // `count(@.tags[*])` on 20,000 items with two tags each: the bound uses each
        // item's own size, not the size of the largest array in the value.
        let items: Vec<Value> = (0..20_000).map(|i| json!({ "tags": [i, i] })).collect();
        let v = json!({ "items": items });
        let c = compile("$.items[?count(@.tags[*]) == 2]").unwrap();
        assert_eq!(select(&c, &v).unwrap().len(), 20_000);
    }

    #[test]
    fn filters_of_singular_queries_and_literals_cost_the_same_for_every_candidate() {
        let v = sample();
        let fixed = |q: &str| {
            let shape = shape::parse(q).unwrap();
            let mut root = RootStats::new(&v);
            let mut budget = Budget::new(JSONPATH_WORK_LIMIT);
            cost::filter_costs(&shape.segments[0], &mut root, &mut budget).unwrap()[0]
        };
        assert!(fixed("$[?@.id == 1 || @.a.b != 'x']").is_some());
        assert!(fixed("$[?length(@.name) > 2 && $.k == 'b']").is_some());
        assert_eq!(fixed("$[?count(@.*) > 0]"), None);
        assert_eq!(fixed("$[?@.a == @.b]"), None);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let q = format!("$[?{}@.a{}]", "(".repeat(4000), ")".repeat(4000));
        let e = compile(&q).unwrap_err();
        assert!(
            e.contains("nested 4001 levels deep; the limit is 64"),
            "{e}"
        );
    }
}
