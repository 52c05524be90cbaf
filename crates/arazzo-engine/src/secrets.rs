//! Masking secrets: credentials, fetched tokens, and inputs whose schema
//! says `format: password` or `writeOnly: true` never appear in events,
//! reports or logs — they are replaced by `****`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What replaces a secret.
pub const MASK: &str = "****";

/// Secrets shorter than this are not masked inside longer text (masking
/// "a" would destroy every message); they are still masked when a whole
/// value equals them.
const MIN_LEN: usize = 4;

/// The secrets of one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Adds a secret (and its percent-encoded form, which is how it appears in URLs).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        for s in [
            secret.to_string(),
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ] {
            if !self.values.contains(&s) {
                self.values.push(s);
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        self.values.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds every string inside `v`.
    pub fn add_value(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            Value::Array(a) => a.iter().for_each(|x| self.add_value(x)),
            Value::Object(m) => m.values().for_each(|x| self.add_value(x)),
            _ => {}
        }
    }

    /// `text` with every secret replaced by `****`.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.values {
            if s.len() >= MIN_LEN || out == *s {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }

    /// `v` with every secret inside every string replaced.
    pub fn mask_value(&self, v: &Value) -> Value {
        if self.values.is_empty() {
            return v.clone();
        }
        match v {
            Value::String(s) => Value::String(self.mask(s)),
            Value::Number(n) if self.values.iter().any(|s| *s == n.to_string()) => {
                Value::String(MASK.into())
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.mask_value(x)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.mask_value(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Headers with secrets masked; credential-bearing headers are masked
    /// whole except for their scheme word (`Bearer ****`).
    pub fn mask_headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| {
                let lower = n.to_ascii_lowercase();
                let masked = if matches!(lower.as_str(), "authorization" | "proxy-authorization") {
                    match v.split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} {MASK}"),
                        None => MASK.to_string(),
                    }
                } else {
                    self.mask(v)
                };
                (n.clone(), masked)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_everywhere() {
        let mut s = Secrets::default();
        s.add("s3cr3t-key");
        s.add("a b/c");
        assert_eq!(s.mask("key=s3cr3t-key&x=1"), "key=****&x=1");
        assert_eq!(s.mask("q=a%20b%2Fc"), "q=****");
        assert_eq!(
            s.mask_value(&json!({"k": ["x s3cr3t-key y"]})),
            json!({"k": ["x **** y"]})
        );
        let h = s.mask_headers(&[
            ("Authorization".into(), "Bearer abc".into()),
            ("X".into(), "s3cr3t-key".into()),
        ]);
        assert_eq!(h[0].1, "Bearer ****");
        assert_eq!(h[1].1, "****");
    }

    #[test]
    fn short_secrets_only_mask_whole_values() {
        let mut s = Secrets::default();
        s.add("ab");
        assert_eq!(s.mask("abc"), "abc");
        assert_eq!(s.mask("ab"), "****");
    }
}
