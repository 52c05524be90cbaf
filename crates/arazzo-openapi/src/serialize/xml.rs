//! JSON values as XML, guided by the Schema Object's `xml` hints.
//!
//! Mapping (OpenAPI 3.1/3.2 XML Object): an object is an element whose
//! properties are child elements named after the property (or `xml.name`);
//! `nodeType: attribute` (or 3.1 `attribute: true`) makes an attribute,
//! `text` and `cdata` make the element's content, `none` puts the children
//! straight into the parent. Arrays are unwrapped (one element per item,
//! named by `items.xml.name` or the property) unless `nodeType: element`
//! or 3.1 `wrapped: true` asks for a wrapper. `prefix` and `namespace`
//! qualify names and declare the namespace where used. `null` is an empty
//! element with `xsi:nil="true"`, and an omitted attribute. No XML
//! declaration is written: UTF-8 is XML's default.

use super::error::{SerializeError, ValueKind};
use super::schema;
use super::value::text;
use serde_json::{Map, Value};

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// Nesting beyond this depth is rejected, bounding recursion on hostile
/// input.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
    CData(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeType {
    Element,
    Attribute,
    Text,
    CData,
    None,
}

/// The `xml` object of a schema, read.
#[derive(Debug, Default, Clone, Copy)]
struct Hints<'a> {
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    prefix: Option<&'a str>,
    node_type: Option<NodeType>,
    attribute: bool,
    wrapped: bool,
}

fn hints(schema: Option<&Value>) -> Hints<'_> {
    let Some(xml) = schema.and_then(|s| s.get("xml")) else {
        return Hints::default();
    };
    let s = |k: &str| xml.get(k).and_then(Value::as_str);
    Hints {
        name: s("name"),
        namespace: s("namespace"),
        prefix: s("prefix"),
        node_type: s("nodeType").and_then(|t| match t {
            "element" => Some(NodeType::Element),
            "attribute" => Some(NodeType::Attribute),
            "text" => Some(NodeType::Text),
            "cdata" => Some(NodeType::CData),
            "none" => Some(NodeType::None),
            _ => None,
        }),
        attribute: xml.get("attribute").and_then(Value::as_bool) == Some(true),
        wrapped: xml.get("wrapped").and_then(Value::as_bool) == Some(true),
    }
}

/// The node type a schema produces for a value: explicit `nodeType`, else
/// 3.1 `attribute`, else `none` for arrays unless wrapped, else `element`.
fn node_type(schema: Option<&Value>, value: &Value) -> NodeType {
    let h = hints(schema);
    if let Some(t) = h.node_type {
        return t;
    }
    if h.attribute {
        return NodeType::Attribute;
    }
    if value.is_array() || schema.is_some_and(schema::is_array) {
        return if h.wrapped {
            NodeType::Element
        } else {
            NodeType::None
        };
    }
    NodeType::Element
}

struct Ctx<'m> {
    media_type: &'m str,
}

impl Ctx<'_> {
    fn unsupported(&self, path: &str, value: &Value, reason: &str) -> SerializeError {
        SerializeError::UnsupportedBody {
            media_type: self.media_type.to_owned(),
            path: path.to_owned(),
            kind: ValueKind::of(value),
            reason: reason.to_owned(),
        }
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_numeric() || matches!(c, '-' | '.' | '\u{B7}') || is_combining(c)
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn check_name(name: &str, path: &str) -> Result<(), SerializeError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(is_name_start) && chars.all(is_name_char);
    if ok {
        Ok(())
    } else {
        Err(SerializeError::InvalidXmlName {
            name: name.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// `prefix:name`, with the namespace declaration to put on the element
/// that uses it.
fn qualify(
    local: &str,
    h: &Hints<'_>,
    attribute: bool,
    path: &str,
) -> Result<(String, Option<(String, String)>), SerializeError> {
    check_name(local, path)?;
    match (h.prefix, h.namespace) {
        (Some(p), ns) => {
            check_name(p, path)?;
            Ok((
                format!("{p}:{local}"),
                ns.map(|ns| (format!("xmlns:{p}"), ns.to_owned())),
            ))
        }
        // Unprefixed attributes are in no namespace; only elements take a
        // default namespace.
        (None, Some(ns)) if !attribute => Ok((local.to_owned(), Some(("xmlns".into(), ns.into())))),
        (None, _) => Ok((local.to_owned(), None)),
    }
}

fn declare(el: &mut Element, decl: Option<(String, String)>) {
    if let Some((k, v)) = decl
        && !el.attrs.iter().any(|(n, _)| *n == k)
    {
        el.attrs.push((k, v));
    }
}

/// Serializes `value` as an XML document.
pub(crate) fn to_xml(
    value: &Value,
    schema: Option<&Value>,
    root_name: Option<&str>,
    media_type: &str,
) -> Result<String, SerializeError> {
    let ctx = Ctx { media_type };
    let h = hints(schema);
    let name = h.name.or(root_name).unwrap_or("root");
    let root = if value.is_array() {
        // A document has one root: arrays are always wrapped there, items
        // named by `items.xml.name` or after the root.
        let (qname, decl) = qualify(name, &h, false, "")?;
        let mut el = Element {
            name: qname,
            ..Element::default()
        };
        declare(&mut el, decl);
        array_items(&ctx, &mut el, name, value, schema, "", 0)?;
        el
    } else {
        element(&ctx, name, &h, value, schema, "", 0)?
    };
    let mut out = String::new();
    render(&Node::Element(root), &mut out);
    Ok(out)
}

/// An element named `local` for `value`.
fn element(
    ctx: &Ctx<'_>,
    local: &str,
    h: &Hints<'_>,
    value: &Value,
    schema: Option<&Value>,
    path: &str,
    depth: usize,
) -> Result<Element, SerializeError> {
    if depth > MAX_DEPTH {
        return Err(ctx.unsupported(path, value, "nesting is too deep"));
    }
    let (qname, decl) = qualify(local, h, false, path)?;
    let mut el = Element {
        name: qname,
        ..Element::default()
    };
    declare(&mut el, decl);
    fill(ctx, &mut el, local, value, schema, path, depth)?;
    Ok(el)
}

/// Puts `value`'s content (attributes, children, text) into `el`.
fn fill(
    ctx: &Ctx<'_>,
    el: &mut Element,
    local: &str,
    value: &Value,
    schema: Option<&Value>,
    path: &str,
    depth: usize,
) -> Result<(), SerializeError> {
    match value {
        Value::Null => {
            el.attrs.push(("xsi:nil".into(), "true".into()));
            declare(el, Some(("xmlns:xsi".into(), XSI.into())));
        }
        Value::Object(map) => members(ctx, el, map, schema, path, depth)?,
        Value::Array(_) => array_items(ctx, el, local, value, schema, path, depth)?,
        Value::String(s) if s.is_empty() => {}
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            el.children.push(Node::Text(checked(text(value), path)?));
        }
    }
    Ok(())
}

fn members(
    ctx: &Ctx<'_>,
    el: &mut Element,
    map: &Map<String, Value>,
    schema: Option<&Value>,
    path: &str,
    depth: usize,
) -> Result<(), SerializeError> {
    if depth > MAX_DEPTH {
        return Err(SerializeError::UnsupportedBody {
            media_type: ctx.media_type.to_owned(),
            path: path.to_owned(),
            kind: ValueKind::Object,
            reason: "nesting is too deep".into(),
        });
    }
    for (key, v) in map {
        let sub = schema.and_then(|s| schema::property(s, key));
        let h = hints(sub);
        let local = h.name.unwrap_or(key);
        let sub_path = super::encoding_object::join_path(path, key);
        match node_type(sub, v) {
            NodeType::Attribute => {
                if v.is_null() {
                    continue;
                }
                let (qname, decl) = qualify(local, &h, true, &sub_path)?;
                declare(el, decl);
                el.attrs.push((qname, checked(text(v), &sub_path)?));
            }
            NodeType::Text => el.children.push(Node::Text(checked(text(v), &sub_path)?)),
            NodeType::CData => el.children.push(Node::CData(checked(text(v), &sub_path)?)),
            NodeType::Element => {
                let child = element(ctx, local, &h, v, sub, &sub_path, depth + 1)?;
                el.children.push(Node::Element(child));
            }
            NodeType::None => match v {
                Value::Array(_) => {
                    // Unwrapped list: items go straight into `el`, named
                    // by the item schema, else after the property (the
                    // array's own `xml.name` has no effect here).
                    array_items(ctx, el, key, v, sub, &sub_path, depth + 1)?;
                }
                Value::Object(inner) => members(ctx, el, inner, sub, &sub_path, depth + 1)?,
                Value::Null => {}
                Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                    el.children.push(Node::Text(checked(text(v), &sub_path)?));
                }
            },
        }
    }
    Ok(())
}

/// One element per item of `value` (an array) inside `el`. Items are named
/// by the item schema's `xml.name`, else `default_name`. Nested arrays
/// become elements that wrap their own items.
fn array_items(
    ctx: &Ctx<'_>,
    el: &mut Element,
    default_name: &str,
    value: &Value,
    schema: Option<&Value>,
    path: &str,
    depth: usize,
) -> Result<(), SerializeError> {
    let Value::Array(items) = value else {
        return Ok(());
    };
    if depth > MAX_DEPTH {
        return Err(ctx.unsupported(path, value, "nesting is too deep"));
    }
    for (i, item) in items.iter().enumerate() {
        // A non-array schema given for an array value describes each item.
        let item_schema = match schema {
            Some(s) if schema::is_array(s) => schema::item(s, i),
            other => other,
        };
        let h = hints(item_schema);
        let local = h.name.unwrap_or(default_name);
        let item_path = format!("{path}[{i}]");
        let child = element(ctx, local, &h, item, item_schema, &item_path, depth + 1)?;
        el.children.push(Node::Element(child));
    }
    Ok(())
}

/// `s` if XML 1.0 can carry every character of it.
fn checked(s: String, path: &str) -> Result<String, SerializeError> {
    let bad = |c: &char| {
        matches!(
            *c,
            '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}'
        )
    };
    match s.chars().find(bad) {
        Some(character) => Err(SerializeError::InvalidXmlChar {
            character,
            path: path.to_owned(),
        }),
        None => Ok(s),
    }
}

fn escape(s: &str, attribute: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#xA;"),
            '\t' if attribute => out.push_str("&#x9;"),
            c => out.push(c),
        }
    }
}

fn render(node: &Node, out: &mut String) {
    match node {
        Node::Text(t) => escape(t, false, out),
        Node::CData(t) => {
            out.push_str("<![CDATA[");
            out.push_str(&t.replace("]]>", "]]]]><![CDATA[>"));
            out.push_str("]]>");
        }
        Node::Element(el) => {
            out.push('<');
            out.push_str(&el.name);
            for (k, v) in &el.attrs {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape(v, true, out);
                out.push('"');
            }
            if el.children.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for child in &el.children {
                    render(child, out);
                }
                out.push_str("</");
                out.push_str(&el.name);
                out.push('>');
            }
        }
    }
}
