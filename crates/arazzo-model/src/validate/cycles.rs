//! Workflows that depend on each other in a cycle.

use std::collections::{HashMap, HashSet};

use super::{Validator, WorkflowRef, parse_workflow_ref};
use crate::diag::{Code, Diagnostic};
use crate::load::Part;
use crate::model::Document;

impl<'a> Validator<'a> {
    pub(super) fn dependency_cycles(&mut self) {
        let ids: HashSet<&str> = self
            .doc
            .workflows
            .iter()
            .map(|w| w.workflow_id.as_str())
            .collect();
        let edges: HashMap<&str, Vec<&str>> = self
            .doc
            .workflows
            .iter()
            .map(|w| {
                (
                    w.workflow_id.as_str(),
                    w.depends_on
                        .iter()
                        .filter_map(|d| match parse_workflow_ref(d) {
                            WorkflowRef::Local(id) if ids.contains(id) && id != w.workflow_id => {
                                Some(id)
                            }
                            _ => None,
                        })
                        .collect(),
                )
            })
            .collect();
        let mut reported: HashSet<Vec<&str>> = HashSet::new();
        for w in &self.doc.workflows {
            if let Some(cycle) = find_cycle(w.workflow_id.as_str(), &edges) {
                let mut key = cycle.clone();
                key.sort_unstable();
                key.dedup();
                if !reported.insert(key) {
                    continue;
                }
                let d = self
                    .error(
                        Code::DependencyCycle,
                        &format!("{}/dependsOn", w.path),
                        Part::Value,
                        format!(
                            "workflows depend on each other in a cycle: {}",
                            cycle.join(" → ")
                        ),
                    )
                    .hint("a workflow cannot run before itself; remove one of the dependencies");
                self.diags.push(d);
            }
        }
    }
}

/// A cycle through `start`, as the list of workflow ids from `start` back to it.
fn find_cycle<'a>(start: &'a str, edges: &HashMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    // Iterative DFS with an explicit path so deep graphs cannot overflow the stack.
    let mut path: Vec<(&str, usize)> = vec![(start, 0)];
    let mut on_path: HashSet<&str> = HashSet::from([start]);
    let mut done: HashSet<&str> = HashSet::new();
    while let Some((node, next)) = path.last().copied() {
        let succ = edges.get(node).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(&s) = succ.get(next) {
            if let Some(last) = path.last_mut() {
                last.1 += 1;
            }
            if s == start {
                let mut cycle: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
                cycle.push(start);
                return Some(cycle);
            }
            if !on_path.contains(s) && !done.contains(s) {
                on_path.insert(s);
                path.push((s, 0));
            }
        } else {
            on_path.remove(node);
            done.insert(node);
            path.pop();
        }
    }
    None
}

/// A workflow of one of several documents: (document, workflow) indices.
type Wf = (usize, usize);

/// `dependsOn` cycles that cross documents: workflow A of one document
/// depends on `$sourceDescriptions.other.B`, and B (or something B depends
/// on) depends back on A.
///
/// `docs` are the Arazzo documents of one load (the root first);
/// `resolve(d, name)` is the index in `docs` of the Arazzo document that
/// source description `name` of document `d` loaded, if any. Each cycle is
/// reported once, at the `dependsOn` entry of its first workflow (in
/// document order) that leads along it, with a note at each other edge.
/// Cycles within one document are [`super::validate`]'s to report.
pub fn cross_document_cycles(
    docs: &[&Document],
    resolve: &dyn Fn(usize, &str) -> Option<usize>,
) -> Vec<Diagnostic> {
    // Edges: from a workflow to the workflows it depends on, with the
    // pointer of the `dependsOn` entry.
    let mut edges: HashMap<Wf, Vec<(Wf, String)>> = HashMap::new();
    for (d, doc) in docs.iter().enumerate() {
        for (w, wf) in doc.workflows.iter().enumerate() {
            for (j, dep) in wf.depends_on.iter().enumerate() {
                let target = match parse_workflow_ref(dep) {
                    WorkflowRef::Local(id) => Some(d).zip(index_of(doc, id)),
                    WorkflowRef::External { source, workflow } => resolve(d, source)
                        .and_then(|t| Some(t).zip(docs.get(t).and_then(|x| index_of(x, workflow)))),
                };
                if let Some(t) = target {
                    let pointer = format!("{}/dependsOn/{j}", wf.path);
                    edges.entry((d, w)).or_default().push((t, pointer));
                }
            }
        }
    }
    let mut reported: HashSet<Vec<Wf>> = HashSet::new();
    let mut out = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for w in 0..doc.workflows.len() {
            let Some(cycle) = cycle_through((d, w), &edges) else {
                continue;
            };
            if cycle.iter().all(|(n, _)| n.0 == d) {
                continue;
            }
            let mut key: Vec<Wf> = cycle.iter().map(|(n, _)| *n).collect();
            key.sort_unstable();
            if !reported.insert(key) {
                continue;
            }
            out.push(cycle_diagnostic(docs, &cycle));
        }
    }
    out
}

fn index_of(doc: &Document, id: &str) -> Option<usize> {
    doc.workflows.iter().position(|w| w.workflow_id == id)
}

/// A cycle through `start`: each workflow with the pointer of the
/// `dependsOn` entry that leads to the next one.
fn cycle_through(start: Wf, edges: &HashMap<Wf, Vec<(Wf, String)>>) -> Option<Vec<(Wf, &str)>> {
    // Iterative DFS with an explicit path so deep graphs cannot overflow the stack.
    let mut path: Vec<(Wf, usize)> = vec![(start, 0)];
    let mut on_path: HashSet<Wf> = HashSet::from([start]);
    let mut done: HashSet<Wf> = HashSet::new();
    while let Some((node, next)) = path.last().copied() {
        let succ = edges.get(&node).map(Vec::as_slice).unwrap_or(&[]);
        let Some((s, _)) = succ.get(next) else {
            on_path.remove(&node);
            done.insert(node);
            path.pop();
            continue;
        };
        if let Some(last) = path.last_mut() {
            last.1 += 1;
        }
        if *s == start {
            // Each step's edge is the one just taken from it (`next - 1`).
            return Some(
                path.iter()
                    .map(|(n, i)| {
                        let via = edges
                            .get(n)
                            .and_then(|e| e.get(i.saturating_sub(1)))
                            .map(|(_, p)| p.as_str())
                            .unwrap_or("");
                        (*n, via)
                    })
                    .collect(),
            );
        }
        if !on_path.contains(s) && !done.contains(s) {
            on_path.insert(*s);
            path.push((*s, 0));
        }
    }
    None
}

fn cycle_diagnostic(docs: &[&Document], cycle: &[(Wf, &str)]) -> Diagnostic {
    let name = |(d, w): Wf| {
        docs.get(d)
            .and_then(|doc| {
                let wf = doc.workflows.get(w)?;
                Some(format!("{} ({})", wf.workflow_id, doc.source.file.name()))
            })
            .unwrap_or_default()
    };
    let mut names: Vec<String> = cycle.iter().map(|(n, _)| name(*n)).collect();
    if let Some(first) = names.first().cloned() {
        names.push(first);
    }
    let at = |(n, pointer): (Wf, &str)| docs.get(n.0).map(|doc| doc.locate(pointer, Part::Value));
    let mut d = Diagnostic::error(
        Code::DependencyCycle,
        format!(
            "workflows of several documents depend on each other in a cycle: {}",
            names.join(" → ")
        ),
    )
    .hint("a workflow cannot run before itself; remove one of the dependencies");
    if let Some(loc) = cycle.first().and_then(|c| at(*c)) {
        d = d.at(loc);
    }
    for (i, c) in cycle.iter().enumerate().skip(1) {
        let next = cycle.get(i + 1).or(cycle.first()).map(|(n, _)| *n);
        if let (Some(loc), Some(next)) = (at(*c), next) {
            d = d.note(format!("{} depends on {} here", name(c.0), name(next)), loc);
        }
    }
    d
}
