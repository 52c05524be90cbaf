//! Upper bounds on the work of a JSONPath query, charged to a budget before the work is
//! done.
//!
//! The unit is one node visited or compared, or one term of a filter evaluated (about
//! 10 ns in an optimized build); an entry of a node list costs [`ENTRY`] units and a
//! regex call [`REGEX_CALL`], measured against `serde_json_path`. Bounds come from the shape of the query and the sizes of the
//! actual values it runs on ([`Stats`]). A node list is described by its length `l`, the
//! largest number of times one node occurs in it `d` (RFC 9535 keeps duplicates:
//! `$[*,*]` lists every child twice) and the largest sum of occurrences along one path
//! from the root `p` (which bounds how often a descendant segment reaches a node).
//! Every formula is an upper bound; all arithmetic saturates.

use serde_json::Value;

use super::shape::{Expr, QueryShape, SegShape, Sel};

/// The cost of one `match`/`search` call on top of its text: `serde_json_path` compiles
/// the regular expression again at every call (about 250 µs for `'item 1.*'`).
const REGEX_CALL: u64 = 25_000;

/// The cost of one entry of a node list: producing it, and the memory it holds until
/// the next segment (so the budget also bounds memory: at most
/// `JSONPATH_WORK_LIMIT / ENTRY` entries).
const ENTRY: u64 = 16;

/// The budget was exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Over;

/// What is left of a work budget.
#[derive(Debug)]
pub(crate) struct Budget {
    left: u64,
}

impl Budget {
    pub fn new(units: u64) -> Budget {
        Budget { left: units }
    }

    /// Takes `units` from the budget, or fails when fewer are left.
    pub fn charge(&mut self, units: u64) -> Result<(), Over> {
        if units > self.left {
            self.left = 0;
            return Err(Over);
        }
        self.left -= units;
        Ok(())
    }

    /// Fails when a bound being summed is already over what is left.
    fn fits(&self, units: u64) -> Result<(), Over> {
        if units > self.left { Err(Over) } else { Ok(()) }
    }
}

/// The size of a value, the bounds of its subtrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Stats {
    /// Nodes (the value itself included).
    pub nodes: u64,
    /// Longest path down from the value (0 for a scalar).
    pub depth: u64,
    /// The most children of any node.
    pub fanout: u64,
    /// The longest string (bytes) anywhere in it.
    pub longest: u64,
}

fn children(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(a) => Box::new(a.iter()),
        Value::Object(m) => Box::new(m.values()),
        _ => Box::new(std::iter::empty()),
    }
}

fn child_count(v: &Value) -> u64 {
    let n = match v {
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        _ => 0,
    };
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn len(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Measures a value without recursion, charging one unit per node.
pub(crate) fn stats(v: &Value, budget: &mut Budget) -> Result<Stats, Over> {
    let mut s = Stats::default();
    let mut stack = vec![(v, 0u64)];
    while let Some((node, depth)) = stack.pop() {
        budget.charge(1)?;
        s.nodes += 1;
        s.depth = s.depth.max(depth);
        s.fanout = s.fanout.max(child_count(node));
        match node {
            Value::String(t) => s.longest = s.longest.max(len(t.len())),
            Value::Object(m) => {
                for k in m.keys() {
                    s.longest = s.longest.max(len(k.len()));
                }
            }
            _ => {}
        }
        stack.extend(children(node).map(|c| (c, depth + 1)));
    }
    Ok(s)
}

/// Where the stats of a filter's current node and of the root come from: measured on
/// demand for the candidates of a segment being run, or fixed bounds inside an
/// embedded query.
pub(crate) trait Source {
    /// Stats of the filter's current node (`@`).
    fn current(&mut self) -> Result<Stats, Over>;
    /// Stats of the root (`$`).
    fn root(&mut self) -> Result<Stats, Over>;
}

/// Inside an embedded query: every node below its start is within `current`.
struct Within<'a> {
    current: Stats,
    outer: &'a mut dyn Source,
}

impl Source for Within<'_> {
    fn current(&mut self) -> Result<Stats, Over> {
        Ok(self.current)
    }
    fn root(&mut self) -> Result<Stats, Over> {
        self.outer.root()
    }
}

/// The work of a query started on a node with stats `start`.
pub(crate) fn query(q: &QueryShape, start: Stats, src: &mut dyn Source) -> Result<u64, Over> {
    let (n, h, c) = (start.nodes, start.depth, start.fanout);
    let (mut l, mut d, mut p) = (1u64, 1u64, 1u64);
    let mut work = 1u64;
    for seg in &q.segments {
        let (parents, pd, pp) = if seg.descendant {
            let visited = l.saturating_mul(n).min(p.saturating_mul(n));
            work = work.saturating_add(visited);
            (visited, p, p.saturating_mul(h.saturating_add(1)))
        } else {
            (l, d, p)
        };
        let kids = parents.saturating_mul(c).min(pd.saturating_mul(n));
        let k = len(seg.selectors.len());
        let mut out = 0u64;
        for sel in &seg.selectors {
            match sel {
                Sel::One => out = out.saturating_add(parents),
                Sel::All => out = out.saturating_add(kids),
                Sel::Filter(e) => {
                    out = out.saturating_add(kids);
                    let mut inner = Within {
                        current: start,
                        outer: src,
                    };
                    let each = expr(e, &mut inner)?.saturating_add(1);
                    work = work.saturating_add(kids.saturating_mul(each));
                }
            }
        }
        l = out.min(k.saturating_mul(pd).saturating_mul(n));
        d = k.saturating_mul(pd);
        p = k.saturating_mul(pp);
        work = work.saturating_add(l.saturating_mul(ENTRY));
    }
    Ok(work)
}

/// How big a compared operand can be, and where its value comes from.
fn operand_size(e: &Expr, src: &mut dyn Source) -> Result<u64, Over> {
    Ok(match e {
        Expr::Literal(_) => 1,
        Expr::Call { scalar: true, .. } => 1,
        Expr::Query(q) if q.relative => src.current()?.nodes,
        Expr::Query(_) => src.root()?.nodes,
        Expr::Call { args, .. } => match args.first() {
            Some(a) => operand_size(a, src)?,
            None => 1,
        },
        Expr::Compare(..) | Expr::Logic(_) => 1,
    })
}

/// The longest text an argument can be.
fn text_len(e: &Expr, src: &mut dyn Source) -> Result<u64, Over> {
    Ok(match e {
        Expr::Literal(n) => *n,
        Expr::Query(q) if q.relative => src.current()?.longest,
        Expr::Query(_) => src.root()?.longest,
        Expr::Call { args, .. } => match args.first() {
            Some(a) => text_len(a, src)?,
            None => 1,
        },
        Expr::Compare(..) | Expr::Logic(_) => 1,
    })
}

/// The work of evaluating a filter expression once.
pub(crate) fn expr(e: &Expr, src: &mut dyn Source) -> Result<u64, Over> {
    Ok(match e {
        Expr::Literal(_) => 1,
        Expr::Query(q) if q.is_singular() => len(q.segments.len()).saturating_mul(2) + 1,
        Expr::Query(q) => {
            let start = if q.relative {
                src.current()?
            } else {
                src.root()?
            };
            query(q, start, src)?
        }
        Expr::Call { regex, args, .. } => {
            let mut sum = 1u64;
            for a in args {
                sum = sum.saturating_add(expr(a, src)?);
            }
            if *regex {
                let text = match args.first() {
                    Some(a) => text_len(a, src)?,
                    None => 0,
                };
                let pattern = match args.get(1) {
                    Some(a) => text_len(a, src)?,
                    None => 0,
                };
                sum = sum
                    .saturating_add(REGEX_CALL)
                    .saturating_add(pattern.saturating_mul(16))
                    .saturating_add(text);
            }
            sum
        }
        Expr::Compare(a, b) => {
            // Comparing with a scalar stops at the first level; two nodes may be
            // compared down to the smaller.
            let scalar = |e: &Expr| !matches!(e, Expr::Query(_) | Expr::Call { scalar: false, .. });
            let size = if scalar(a) || scalar(b) {
                1
            } else {
                operand_size(a, src)?.min(operand_size(b, src)?)
            };
            1u64.saturating_add(expr(a, src)?)
                .saturating_add(expr(b, src)?)
                .saturating_add(size)
        }
        Expr::Logic(parts) => {
            let mut sum = 1u64;
            for p in parts {
                sum = sum.saturating_add(expr(p, src)?);
            }
            sum
        }
    })
}

/// Stats measured on demand: the current node's once per candidate, the root's once per
/// evaluation, each charged to the budget.
struct Measured<'a, 'v> {
    node: &'v Value,
    current: Option<Stats>,
    root: &'a mut RootStats<'v>,
    budget: &'a mut Budget,
}

/// The root of an evaluation and its stats once measured.
pub(crate) struct RootStats<'v> {
    value: &'v Value,
    stats: Option<Stats>,
}

impl<'v> RootStats<'v> {
    pub fn new(value: &'v Value) -> RootStats<'v> {
        RootStats { value, stats: None }
    }

    /// The root's stats, measured the first time.
    pub fn get(&mut self, budget: &mut Budget) -> Result<Stats, Over> {
        if let Some(s) = self.stats {
            return Ok(s);
        }
        let s = stats(self.value, budget)?;
        self.stats = Some(s);
        Ok(s)
    }
}

impl Source for Measured<'_, '_> {
    fn current(&mut self) -> Result<Stats, Over> {
        if let Some(s) = self.current {
            return Ok(s);
        }
        let s = stats(self.node, self.budget)?;
        self.current = Some(s);
        Ok(s)
    }
    fn root(&mut self) -> Result<Stats, Over> {
        self.root.get(self.budget)
    }
}

/// A source for a filter evaluated on no candidate in particular: notes whether the
/// cost depends on the candidate.
struct Probe<'a, 'v> {
    asked: bool,
    root: &'a mut RootStats<'v>,
    budget: &'a mut Budget,
}

impl Source for Probe<'_, '_> {
    fn current(&mut self) -> Result<Stats, Over> {
        self.asked = true;
        Ok(Stats::default())
    }
    fn root(&mut self) -> Result<Stats, Over> {
        self.root.get(self.budget)
    }
}

/// For each selector of a segment: the cost of evaluating its filter once, when that
/// does not depend on the candidate (`@.status == 'done'`: singular queries and
/// literals), so that it is computed once per segment rather than once per candidate.
pub(crate) fn filter_costs<'v>(
    seg: &SegShape,
    root: &mut RootStats<'v>,
    budget: &mut Budget,
) -> Result<Vec<Option<u64>>, Over> {
    let mut out = Vec::with_capacity(seg.selectors.len());
    for sel in &seg.selectors {
        out.push(match sel {
            Sel::Filter(e) => {
                let mut probe = Probe {
                    asked: false,
                    root: &mut *root,
                    budget: &mut *budget,
                };
                let each = expr(e, &mut probe)?;
                (!probe.asked).then_some(each)
            }
            _ => None,
        });
    }
    Ok(out)
}

/// The work of applying one segment's selectors to `node` (not to its descendants).
/// `fixed` is [`filter_costs`] of the segment.
fn selectors_on<'v>(
    seg: &SegShape,
    fixed: &[Option<u64>],
    node: &'v Value,
    root: &mut RootStats<'v>,
    budget: &mut Budget,
) -> Result<u64, Over> {
    let mut sum = 1u64;
    for (sel, fixed) in seg.selectors.iter().zip(fixed) {
        match (sel, fixed) {
            (Sel::One, _) => sum = sum.saturating_add(ENTRY),
            (Sel::All, _) => sum = sum.saturating_add(child_count(node).saturating_mul(ENTRY)),
            (Sel::Filter(_), Some(each)) => {
                let per = each.saturating_add(1 + ENTRY);
                sum = sum.saturating_add(child_count(node).saturating_mul(per));
            }
            (Sel::Filter(e), None) => {
                for cand in children(node) {
                    let mut src = Measured {
                        node: cand,
                        current: None,
                        root: &mut *root,
                        budget: &mut *budget,
                    };
                    let each = expr(e, &mut src)?;
                    sum = sum.saturating_add(each).saturating_add(1 + ENTRY);
                    budget.fits(sum)?;
                }
            }
        }
        budget.fits(sum)?;
    }
    Ok(sum)
}

/// An upper bound of the work of applying `seg` to `node`, from the actual sizes of
/// `node` and its children. Measuring is charged to the budget as it goes; the bound
/// itself is not (the caller charges it before running the segment).
pub(crate) fn segment<'v>(
    seg: &SegShape,
    fixed: &[Option<u64>],
    node: &'v Value,
    root: &mut RootStats<'v>,
    budget: &mut Budget,
) -> Result<u64, Over> {
    if !seg.descendant {
        return selectors_on(seg, fixed, node, root, budget);
    }
    let mut sum = 0u64;
    let mut stack = vec![node];
    while let Some(u) = stack.pop() {
        budget.charge(1)?;
        sum = sum.saturating_add(selectors_on(seg, fixed, u, root, budget)?);
        budget.fits(sum)?;
        stack.extend(children(u));
    }
    Ok(sum)
}
