//! Workflows that depend on each other in a cycle.

use std::collections::{HashMap, HashSet};

use super::{Validator, WorkflowRef, parse_workflow_ref};
use crate::diag::Code;
use crate::load::Part;

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
