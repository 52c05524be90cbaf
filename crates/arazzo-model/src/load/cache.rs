//! A compact binary encoding of a loaded document's value and spans, so a
//! large description read again (the next CI run) need not be parsed again.
//!
//! The encoding is what an on-disk cache stores (`arazzo-openapi`'s
//! `DiskCache` keys it, names the file and bounds the directory); this module
//! only turns `(Value, SpanTree)` into bytes and back. The bytes are
//! untrusted: a cache directory can be corrupted, truncated, written by
//! another version or by someone else. [`decode`] therefore checks every
//! length against the bytes that remain, bounds nesting at [`MAX_DEPTH`],
//! allocates nothing larger than the input justifies, verifies a CRC-32 of
//! the whole payload (so a flipped byte is caught even inside a string), and
//! answers `None` — a miss, for the caller to parse — on any problem. It
//! never panics.
//!
//! Layout (integers little-endian):
//!
//! ```text
//! header:  magic "ARZCACHE" | format u32 | crate version (u8 length + bytes)
//!          | key (32 bytes) | text length u64 | payload length u64 | CRC-32 of payload u32
//! payload: root node | node count u32 | nodes (6 × u32 each: span, key span, first, len)
//!          | value length u64 | value (tagged, depth-first) | strings (UTF-8)
//! ```
//!
//! A value is a tag byte followed by its content: `null`, `false`, `true`;
//! an unsigned, signed or float number (8 bytes); a string (varint length);
//! an array (varint count + items); an object (varint count + (key length,
//! value) pairs, in document order). The text of every string and key is in
//! the string section, in the order they are met, so that it is checked as
//! UTF-8 once rather than string by string.

use serde_json::{Map, Number, Value};

use super::MAX_DEPTH;
use super::spans::{Node, SpanTree};
use crate::source::Span;

/// The first bytes of every encoding.
pub const MAGIC: &[u8; 8] = b"ARZCACHE";

/// The version of the layout; an encoding of another version is a miss.
pub const FORMAT_VERSION: u32 = 1;

/// The crate version written into every header: an encoding made by another
/// version of arazzo-model (whose loader may read a document differently) is
/// a miss.
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The length of a content key: a 256-bit hash of what the document was
/// loaded from (the caller chooses the hash).
pub const KEY_LEN: usize = 32;

const TAG_NULL: u8 = 0;
const TAG_FALSE: u8 = 1;
const TAG_TRUE: u8 = 2;
const TAG_U64: u8 = 3;
const TAG_I64: u8 = 4;
const TAG_F64: u8 = 5;
const TAG_STRING: u8 = 6;
const TAG_ARRAY: u8 = 7;
const TAG_OBJECT: u8 = 8;

/// Bytes of one encoded span node.
const NODE_BYTES: usize = 24;

/// Encodes `value` and `spans`, loaded from a text of `text_len` bytes,
/// under `key`. `None` when the value nests deeper than [`MAX_DEPTH`] (a
/// document loaded with a larger [`Limits::max_depth`](super::Limits) is
/// not cached) or is larger than the format can say.
pub fn encode(
    key: &[u8; KEY_LEN],
    text_len: usize,
    value: &Value,
    spans: &SpanTree,
) -> Option<Vec<u8>> {
    let nodes = spans.nodes();
    let mut payload = Vec::with_capacity(nodes.len().saturating_mul(NODE_BYTES) + text_len);
    put_node(&mut payload, spans.root_node());
    payload.extend_from_slice(&u32::try_from(nodes.len()).ok()?.to_le_bytes());
    for n in nodes {
        put_node(&mut payload, *n);
    }
    let mut stream = Vec::with_capacity(text_len / 4);
    let mut strings = String::with_capacity(text_len);
    put_value(&mut stream, &mut strings, value, 0)?;
    payload.extend_from_slice(&(stream.len() as u64).to_le_bytes());
    payload.extend_from_slice(&stream);
    payload.extend_from_slice(strings.as_bytes());

    let version = CRATE_VERSION.as_bytes();
    let mut out = Vec::with_capacity(payload.len() + 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(u8::try_from(version.len()).ok()?);
    out.extend_from_slice(version);
    out.extend_from_slice(key);
    out.extend_from_slice(&(text_len as u64).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Some(out)
}

/// Decodes an encoding made by [`encode`] for `key` and a text of
/// `text_len` bytes. `None` (a miss) when the bytes are not such an
/// encoding: another magic, format or crate version, another key or text
/// length, a wrong checksum, a length beyond the bytes, nesting deeper than
/// [`MAX_DEPTH`], a span outside the text, trailing bytes, or anything else
/// that does not add up.
pub fn decode(key: &[u8; KEY_LEN], text_len: usize, bytes: &[u8]) -> Option<(Value, SpanTree)> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(MAGIC.len())? != MAGIC || r.u32()? != FORMAT_VERSION {
        return None;
    }
    let version_len = usize::from(r.u8()?);
    if r.take(version_len)? != CRATE_VERSION.as_bytes() || r.take(KEY_LEN)? != key {
        return None;
    }
    if r.u64()? != text_len as u64 {
        return None;
    }
    let payload_len = usize::try_from(r.u64()?).ok()?;
    let crc = r.u32()?;
    let payload = r.take(payload_len)?;
    if r.at != bytes.len() || crc32fast::hash(payload) != crc {
        return None;
    }

    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let text_len = u32::try_from(text_len).ok()?;
    let root = r.node(text_len)?;
    let count = r.u32()? as usize;
    // Checked against what remains before anything is allocated.
    if count > r.remaining() / NODE_BYTES {
        return None;
    }
    let mut nodes = Vec::with_capacity(count);
    for _ in 0..count {
        nodes.push(r.node(text_len)?);
    }
    let fits = |n: &Node| (n.first as usize).saturating_add(n.len as usize) <= count;
    if !fits(&root) || !nodes.iter().all(fits) {
        return None;
    }
    let stream_len = usize::try_from(r.u64()?).ok()?;
    let stream = r.take(stream_len)?;
    let strings = std::str::from_utf8(r.take(r.remaining())?).ok()?;
    let mut values = Values {
        r: Reader {
            bytes: stream,
            at: 0,
        },
        strings,
        at: 0,
    };
    let value = values.value(0)?;
    if values.r.remaining() != 0 || values.at != strings.len() {
        return None;
    }
    Some((value, SpanTree::from_parts(nodes, root)))
}

fn put_node(out: &mut Vec<u8>, n: Node) {
    for x in [
        n.span.start,
        n.span.end,
        n.key.start,
        n.key.end,
        n.first,
        n.len,
    ] {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, strings: &mut String, s: &str) {
    put_varint(out, s.len() as u64);
    strings.push_str(s);
}

fn put_value(out: &mut Vec<u8>, strings: &mut String, v: &Value, depth: usize) -> Option<()> {
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(TAG_U64);
                out.extend_from_slice(&u.to_le_bytes());
            } else if let Some(i) = n.as_i64() {
                out.push(TAG_I64);
                out.extend_from_slice(&i.to_le_bytes());
            } else {
                out.push(TAG_F64);
                out.extend_from_slice(&n.as_f64()?.to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(TAG_STRING);
            put_str(out, strings, s);
        }
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return None;
            }
            out.push(TAG_ARRAY);
            put_varint(out, items.len() as u64);
            for item in items {
                put_value(out, strings, item, depth + 1)?;
            }
        }
        Value::Object(map) => {
            if depth >= MAX_DEPTH {
                return None;
            }
            out.push(TAG_OBJECT);
            put_varint(out, map.len() as u64);
            for (k, item) in map {
                put_str(out, strings, k);
                put_value(out, strings, item, depth + 1)?;
            }
        }
    }
    Some(())
}

/// A cursor over untrusted bytes: every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// A LEB128 length of at most ten bytes whose value fits in 64 bits.
    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count of items each taking at least `min` bytes: larger than the
    /// bytes left can hold is a corrupt encoding, not an allocation.
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.remaining() / min).then_some(n)
    }

    fn span(&mut self, text_len: u32) -> Option<Span> {
        let start = self.u32()?;
        let end = self.u32()?;
        (start <= end && end <= text_len).then_some(Span { start, end })
    }

    fn node(&mut self, text_len: u32) -> Option<Node> {
        Some(Node {
            span: self.span(text_len)?,
            key: self.span(text_len)?,
            first: self.u32()?,
            len: self.u32()?,
        })
    }
}

/// The value stream and the string section of a payload.
struct Values<'a> {
    r: Reader<'a>,
    strings: &'a str,
    /// Where the next string starts in `strings`.
    at: usize,
}

impl Values<'_> {
    /// The next string: its length from the stream, its text from the
    /// string section (which must hold it, cut at character boundaries).
    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.r.varint()?).ok()?;
        let end = self.at.checked_add(len)?;
        let s = self.strings.get(self.at..end)?;
        self.at = end;
        Some(s.to_owned())
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        Some(match self.r.u8()? {
            TAG_NULL => Value::Null,
            TAG_FALSE => Value::Bool(false),
            TAG_TRUE => Value::Bool(true),
            TAG_U64 => Value::Number(self.r.u64()?.into()),
            TAG_I64 => Value::Number(i64::from_le_bytes(self.r.array()?).into()),
            TAG_F64 => Value::Number(Number::from_f64(f64::from_le_bytes(self.r.array()?))?),
            TAG_STRING => Value::String(self.string()?),
            TAG_ARRAY => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                // Every item takes at least its tag byte.
                let n = self.r.count(1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            TAG_OBJECT => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                // Every entry takes at least a key length and a tag.
                let n = self.r.count(2)?;
                let mut map = Map::with_capacity(n);
                for _ in 0..n {
                    let k = self.string()?;
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                }
                // A repeated key would leave the spans out of step.
                if map.len() != n {
                    return None;
                }
                Value::Object(map)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::load::{Part, load, locate};

    const KEY: [u8; KEY_LEN] = [7; KEY_LEN];

    const SMALL: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: getA\n      parameters: [{name: q, in: query}]\n      x-n: [1, -2, 2.5, true, null, ~, \"é\"]\n";

    fn encoded(text: &str) -> (crate::load::Loaded, Vec<u8>) {
        let loaded = load("small.yaml", text.as_bytes()).unwrap();
        let bytes = encode(&KEY, text.len(), &loaded.value, &loaded.spans).unwrap();
        (loaded, bytes)
    }

    /// Every pointer of `v`, depth first.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    pointers(c, format!("{at}/{}", crate::load::escape_token(k)), out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    pointers(c, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn round_trip_keeps_values_and_spans() {
        let (loaded, bytes) = encoded(SMALL);
        let (value, spans) = decode(&KEY, SMALL.len(), &bytes).unwrap();
        assert_eq!(value, loaded.value);
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        assert!(all.len() > 10);
        for p in &all {
            for part in [Part::Key, Part::Value] {
                assert_eq!(
                    locate(&value, &spans, p, part),
                    locate(&loaded.value, &loaded.spans, p, part),
                    "{p}"
                );
            }
        }
    }

    #[test]
    fn another_key_version_or_length_is_a_miss() {
        let (_, bytes) = encoded(SMALL);
        assert!(decode(&[8; KEY_LEN], SMALL.len(), &bytes).is_none());
        assert!(decode(&KEY, SMALL.len() + 1, &bytes).is_none());
        let mut other = bytes.clone();
        other[MAGIC.len()] ^= 1; // format version
        assert!(decode(&KEY, SMALL.len(), &other).is_none());
        let mut other = bytes.clone();
        other[MAGIC.len() + 5] ^= 1; // first byte of the crate version
        assert!(decode(&KEY, SMALL.len(), &other).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&KEY, SMALL.len(), &longer).is_none());
    }

    #[test]
    fn every_truncation_and_every_byte_flip_is_a_miss() {
        let (_, bytes) = encoded(SMALL);
        for len in 0..bytes.len() {
            assert!(decode(&KEY, SMALL.len(), &bytes[..len]).is_none(), "{len}");
        }
        for at in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[at] ^= flip;
                assert!(decode(&KEY, SMALL.len(), &b).is_none(), "{at} ^ {flip}");
            }
        }
    }

    /// An encoding of `nodes` (root first, then the count and the arena),
    /// the value `stream` and the `strings`, with a valid checksum: the
    /// structure checks alone must refuse hostile content.
    fn with_payload(nodes: &[u8], stream: &[u8], strings: &[u8]) -> Vec<u8> {
        let mut payload = nodes.to_vec();
        payload.extend_from_slice(&(stream.len() as u64).to_le_bytes());
        payload.extend_from_slice(stream);
        payload.extend_from_slice(strings);
        framed(&payload)
    }

    /// `payload` behind a valid header and checksum.
    fn framed(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(CRATE_VERSION.len() as u8);
        out.extend_from_slice(CRATE_VERSION.as_bytes());
        out.extend_from_slice(&KEY);
        out.extend_from_slice(&10u64.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn root_and_nodes(count: u32) -> Vec<u8> {
        let mut p = Vec::new();
        put_node(&mut p, Node::leaf(Span::new(0, 10)));
        p.extend_from_slice(&count.to_le_bytes());
        p
    }

    /// A value `stream` (and `strings`) under a root without children.
    fn value(stream: &[u8], strings: &[u8]) -> Option<(Value, SpanTree)> {
        decode(&KEY, 10, &with_payload(&root_and_nodes(0), stream, strings))
    }

    #[test]
    fn hostile_payloads_are_misses() {
        // Well-formed payloads are accepted (the helpers are right).
        assert!(value(&[TAG_NULL], b"").is_some());
        let ok = value(&[TAG_OBJECT, 1, 1, TAG_STRING, 2], "aé".as_bytes());
        assert_eq!(ok.unwrap().0, serde_json::json!({"a": "é"}));
        // Huge node count.
        let p = with_payload(&root_and_nodes(u32::MAX), &[TAG_NULL], b"");
        assert!(decode(&KEY, 10, &p).is_none());
        // Huge array, object and string lengths.
        for tag in [TAG_ARRAY, TAG_OBJECT, TAG_STRING] {
            let mut v = vec![tag];
            put_varint(&mut v, u64::MAX);
            assert!(value(&v, b"").is_none());
            let mut v = vec![tag];
            v.extend_from_slice(&[0xff; 11]);
            assert!(value(&v, b"").is_none());
            let mut v = vec![tag];
            put_varint(&mut v, 1 << 40);
            assert!(value(&v, &[b'a'; 64]).is_none());
        }
        // A value stream longer than the payload.
        let mut p = root_and_nodes(0);
        p.extend_from_slice(&u64::MAX.to_le_bytes());
        p.push(TAG_NULL);
        assert!(decode(&KEY, 10, &framed(&p)).is_none());
        // Nesting deeper than MAX_DEPTH, without and with the items.
        let mut v = Vec::new();
        for _ in 0..=MAX_DEPTH {
            v.push(TAG_ARRAY);
            v.push(1);
        }
        v.push(TAG_NULL);
        assert!(value(&v, b"").is_none());
        let v: Vec<u8> = std::iter::repeat_n([TAG_ARRAY, 1], 100_000)
            .flatten()
            .collect();
        assert!(value(&v, b"").is_none());
        // A span past the text, a child block past the arena.
        let mut p = Vec::new();
        put_node(&mut p, Node::leaf(Span::new(0, 11)));
        p.extend_from_slice(&0u32.to_le_bytes());
        assert!(decode(&KEY, 10, &with_payload(&p, &[TAG_NULL], b"")).is_none());
        let mut p = Vec::new();
        put_node(
            &mut p,
            Node {
                first: 0,
                len: 2,
                ..Node::default()
            },
        );
        p.extend_from_slice(&1u32.to_le_bytes());
        put_node(&mut p, Node::default());
        assert!(decode(&KEY, 10, &with_payload(&p, &[TAG_NULL], b"")).is_none());
        // A repeated key, invalid UTF-8, a string cut inside a character,
        // strings left over, an unknown tag, a NaN.
        let obj = [TAG_OBJECT, 2, 1, TAG_NULL, 1, TAG_NULL];
        assert!(value(&obj, b"ab").is_some());
        assert!(value(&obj, b"aa").is_none());
        assert!(value(&[TAG_STRING, 1], &[0xff]).is_none());
        assert!(value(&[TAG_STRING, 1], "é".as_bytes()).is_none());
        assert!(value(&[TAG_STRING, 1], b"ab").is_none());
        assert!(value(&[TAG_NULL], b"a").is_none());
        assert!(value(&[42], b"").is_none());
        let mut v = vec![TAG_F64];
        v.extend_from_slice(&f64::NAN.to_le_bytes());
        assert!(value(&v, b"").is_none());
        // Bytes after the value in its stream.
        assert!(value(&[TAG_NULL, TAG_NULL], b"").is_none());
    }

    #[test]
    fn too_deep_values_are_not_encoded() {
        let mut v = Value::Null;
        for _ in 0..=MAX_DEPTH {
            v = Value::Array(vec![v]);
        }
        assert!(encode(&KEY, 0, &v, &SpanTree::default()).is_none());
    }
}
