//! Every `policy:` a case cites names a heading that exists in the doc it names.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::Path;

/// GitHub's heading anchor: lower-case, spaces to `-`, punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn policies_name_existing_headings() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let cases = arazzo_conformance::load_cases(&arazzo_conformance::cases_dir()).unwrap();
    let mut broken = Vec::new();
    for c in &cases {
        let Some(policy) = &c.case.policy else {
            continue;
        };
        let (file, anchor) = policy.split_once('#').unwrap_or((policy.as_str(), ""));
        let Ok(text) = std::fs::read_to_string(docs.join(file)) else {
            broken.push(format!("{}: {policy} (no such document)", c.name));
            continue;
        };
        let anchors: HashSet<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .map(|l| slug(l.trim_start_matches('#')))
            .collect();
        if !anchor.is_empty() && !anchors.contains(anchor) {
            broken.push(format!("{}: {policy}", c.name));
        }
    }
    assert!(
        broken.is_empty(),
        "policies citing missing headings:\n{}",
        broken.join("\n")
    );
}
