//! XPath payload replacement targets on XML bodies (Arazzo 1.1).
//!
//! The payload is parsed, the XPath (3.1, through xee) selects nodes, each
//! selected element gets the value as its only text content, each attribute
//! or text node gets it as its value, and the document is serialized back.

use serde_json::Value;

/// Replaces the nodes `xpath` selects in `xml` with `value` (stringified).
#[cfg(feature = "xpath")]
pub fn replace(xml: &str, xpath: &str, value: &Value) -> Result<String, String> {
    use xee_xpath::{Documents, Item, Queries, Query};
    use xot::ValueType;

    let text = arazzo_expr::stringify(value);
    let queries = Queries::default();
    let query = queries
        .sequence(xpath)
        .map_err(|e| format!("invalid XPath `{xpath}`: {e}"))?;
    let mut documents = Documents::new();
    let handle = documents
        .add_string_without_uri(xml)
        .map_err(|e| format!("the payload is not well-formed XML: {e}"))?;
    let seq = query
        .execute(&mut documents, handle)
        .map_err(|e| format!("XPath `{xpath}` failed: {e}"))?;
    let nodes: Vec<xot::Node> = seq
        .iter()
        .filter_map(|item| match item {
            Item::Node(n) => Some(n),
            _ => None,
        })
        .collect();
    if nodes.is_empty() {
        return Err(format!(
            "the XPath target `{xpath}` selects no node of the payload"
        ));
    }
    let root = documents
        .document_node(handle)
        .ok_or("the payload document disappeared")?;
    let xot = documents.xot_mut();
    for node in nodes {
        match xot.value_type(node) {
            ValueType::Attribute => {
                if let Some(a) = xot.attribute_node_mut(node) {
                    a.set_value(text.clone());
                }
            }
            ValueType::Text => {
                if let Some(t) = xot.text_mut(node) {
                    t.set(text.clone());
                }
            }
            ValueType::Element => {
                let children: Vec<xot::Node> = xot.children(node).collect();
                for c in children {
                    xot.remove(c).map_err(|e| e.to_string())?;
                }
                xot.append_text(node, &text).map_err(|e| e.to_string())?;
            }
            other => {
                return Err(format!(
                    "the XPath target selects a {other:?} node, which cannot take a value"
                ));
            }
        }
    }
    xot.to_string(root).map_err(|e| e.to_string())
}

/// Without the `xpath` feature, XPath targets cannot be applied.
#[cfg(not(feature = "xpath"))]
pub fn replace(_xml: &str, _xpath: &str, _value: &Value) -> Result<String, String> {
    Err("XPath support is not compiled in (enable the `xpath` feature)".into())
}

#[cfg(all(test, feature = "xpath"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_elements_attributes_and_text() {
        let xml = r#"<order id="1"><pet>cat</pet><qty>1</qty></order>"#;
        assert_eq!(
            replace(xml, "/order/pet", &json!("dog")).unwrap(),
            r#"<order id="1"><pet>dog</pet><qty>1</qty></order>"#
        );
        assert_eq!(
            replace(xml, "/order/@id", &json!(42)).unwrap(),
            r#"<order id="42"><pet>cat</pet><qty>1</qty></order>"#
        );
        assert!(replace(xml, "/order/none", &json!(1)).is_err());
        assert!(replace("<broken", "/a", &json!(1)).is_err());
    }
}
