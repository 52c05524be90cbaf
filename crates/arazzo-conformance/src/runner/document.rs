//! What the runner reads from a case's Arazzo document: the workflows to run and the OpenAPI
//! sources to point at the script server.

use serde_json::Value;

use crate::case::LoadedCase;

/// The workflows a case requests: `workflows:`, or the document's first workflow.
pub fn requested_workflows(lc: &LoadedCase) -> Vec<String> {
    if !lc.case.workflows.is_empty() {
        return lc.case.workflows.clone();
    }
    document_value(lc)
        .and_then(|d| {
            d.get("workflows")?
                .as_array()?
                .first()?
                .get("workflowId")?
                .as_str()
                .map(str::to_string)
        })
        .into_iter()
        .collect()
}

/// The case's Arazzo document, parsed (YAML or JSON).
pub fn document_value(lc: &LoadedCase) -> Option<Value> {
    let path = lc.document().ok()?;
    let bytes = std::fs::read(&path).ok()?;
    arazzo_model::load::load(&path.display().to_string(), &bytes)
        .ok()
        .map(|l| l.value)
}

/// The names of the root document's OpenAPI source descriptions, as written
/// (`type: openapi`, or no type and a URL that does not look like an Arazzo document).
pub fn openapi_sources(doc: &Value) -> Vec<String> {
    doc.get("sourceDescriptions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|s| {
                    let url = s.get("url").and_then(Value::as_str).unwrap_or("");
                    match s.get("type").and_then(Value::as_str) {
                        Some(t) => t == "openapi",
                        None => !url.contains(".arazzo."),
                    }
                })
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
