//! Numbers and strings: bounds and `multipleOf`, patterns, formats, and realistic values derived
//! from property names.

use arazzo_expr::JsonPointer;
use serde_json::{Number, Value};

use super::{Ctx, Flat};
use crate::pattern;

/// A number within the bounds, a multiple of `multipleOf`; `1` (or `1.5`) when unconstrained.
pub(super) fn number(flat: &Flat<'_>, integer: bool, variant: usize) -> Value {
    let step = flat.multiple_of;
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    match flat.format {
        Some("int32") => {
            lo = f64::from(i32::MIN);
            hi = f64::from(i32::MAX);
        }
        Some("int64") => {
            lo = -9.0e15;
            hi = 9.0e15;
        }
        _ => {}
    }
    let gap = if integer { 1.0 } else { step.unwrap_or(0.5) };
    if let Some((x, excl)) = flat.lo {
        let x = if excl {
            if integer {
                x.floor() + 1.0
            } else {
                x + gap.min(1.0)
            }
        } else {
            x
        };
        lo = lo.max(x);
    }
    if let Some((x, excl)) = flat.hi {
        let x = if excl {
            if integer {
                x.ceil() - 1.0
            } else {
                x - gap.min(1.0)
            }
        } else {
            x
        };
        hi = hi.min(x);
    }
    if integer {
        lo = lo.ceil();
        hi = hi.floor();
    }
    let v = variant as f64;
    let mut x = if integer { 1.0 + v } else { 1.5 + v };
    if x < lo {
        x = lo + v;
    }
    if x > hi {
        x = (hi - v).max(lo);
    }
    if let Some(k) = step {
        let k = if integer && k.fract() != 0.0 {
            // An integer multiple of a fraction: use a multiple that is a whole number.
            let mut whole = k;
            for n in 1..=1000 {
                whole = k * f64::from(n);
                if (whole - whole.round()).abs() < 1e-9 {
                    break;
                }
            }
            whole.round()
        } else {
            k
        };
        let mut q = (x / k).ceil();
        if q * k > hi {
            q = (hi / k).floor();
        }
        if q * k < lo {
            q = (lo / k).ceil();
        }
        x = round_like(q * k, k);
    }
    if !x.is_finite() {
        x = 0.0;
    }
    if (integer || x.fract() == 0.0) && x.abs() < 9.0e15 {
        Value::Number(Number::from(x as i64))
    } else {
        Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::from(0))
    }
}

/// `x` rounded to as many decimals as the step `k` has, so `3 × 0.1` is `0.3`.
fn round_like(x: f64, k: f64) -> f64 {
    let text = format!("{k}");
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len()).min(12);
    let f = 10f64.powi(decimals as i32);
    (x * f).round() / f
}

/// A string for the constraints: a pattern match, a format, a name-based value, else `string`.
pub(super) fn string(flat: &Flat<'_>, ctx: &Ctx<'_>) -> String {
    let min = flat.min_len.unwrap_or(0).min(100_000) as usize;
    let max = flat.max_len.map(|m| m as usize);
    let fits = |s: &str| {
        let n = s.chars().count();
        n >= min && max.is_none_or(|m| n <= m)
    };
    if let Some(first) = flat.patterns.first() {
        let others = flat.patterns.get(1..).unwrap_or_default();
        for v in 0..4 {
            if let Some(s) = pattern::generate(first, min, max, ctx.variant + v * 7)
                && others
                    .iter()
                    .all(|p| pattern::matches(p, &s) != Some(false))
            {
                return s;
            }
        }
    }
    if let Some(f) = flat.format
        && let Some(s) = by_format(f, ctx)
        && fits(&s)
    {
        return s;
    }
    let known_format = flat.format.is_some_and(|f| by_format(f, ctx).is_some());
    if let Some(name) = flat
        .dangling
        .filter(|_| flat.patterns.is_empty() && !known_format)
        && let Some(s) = by_name(name, ctx.variant)
        && fits(&s)
    {
        return s;
    }
    if !known_format
        && let Some(name) = ctx.name
        && let Some(s) = by_name(name, ctx.variant)
        && fits(&s)
    {
        return s;
    }
    let base = if ctx.variant == 0 {
        "string".to_string()
    } else {
        format!("string{}", ctx.variant)
    };
    fit(&base, min, max, ctx.variant)
}

/// `s` padded or cut to the length bounds.
fn fit(s: &str, min: usize, max: Option<usize>, variant: usize) -> String {
    let mut out: String = s.to_string();
    if let Some(m) = max {
        out = out.chars().take(m).collect();
        if out.is_empty() && m > 0 && min == 0 {
            out = "s".into();
        }
    }
    let filler = b"abcdefghijklmnopqrstuvwxyz";
    let mut i = variant;
    // Counted once: counting in the loop made a `minLength: 100000` quadratic.
    let mut count = out.chars().count();
    while count < min {
        out.push(char::from(filler[i % filler.len()]));
        i += 1;
        count += 1;
    }
    if variant > 0 && out.chars().count() == max.unwrap_or(usize::MAX) && max.is_some() {
        // Cut strings must still differ between variants.
        let keep: String = out
            .chars()
            .take(max.unwrap_or(1).saturating_sub(1))
            .collect();
        out = format!("{keep}{}", char::from(filler[variant % filler.len()]));
    }
    out
}

/// A stable 64-bit hash (FNV-1a) for values derived from names.
fn fnv(text: &str, variant: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes().chain(variant.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn by_format(format: &str, ctx: &Ctx<'_>) -> Option<String> {
    let v = ctx.variant;
    let name = ctx.name.unwrap_or("value");
    Some(match format {
        "date-time" => format!("2024-01-{:02}T12:00:00Z", 1 + v % 28),
        "date" => format!("2024-01-{:02}", 1 + v % 28),
        "time" => format!("12:{:02}:00Z", v % 60),
        "duration" => format!("P{}D", 1 + v),
        "email" | "idn-email" => {
            if v == 0 {
                "user@example.com".into()
            } else {
                format!("user{v}@example.com")
            }
        }
        "hostname" | "idn-hostname" => {
            if v == 0 {
                "example.com".into()
            } else {
                format!("host{v}.example.com")
            }
        }
        "ipv4" => format!("192.0.2.{}", 1 + v % 250),
        "ipv6" => format!("2001:db8::{:x}", 1 + v),
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => {
            if v == 0 {
                "https://example.com".into()
            } else {
                format!("https://example.com/{v}")
            }
        }
        "uri-template" => "https://example.com/{id}".into(),
        "uuid" | "guid" => uuid(name, v),
        "json-pointer" => JsonPointer::from_tokens([name]).to_string(),
        "relative-json-pointer" => "0".into(),
        "regex" => "^[a-z]+$".into(),
        "byte" | "base64" => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(if v == 0 {
                "example".to_string()
            } else {
                format!("example{v}")
            })
        }
        "binary" => {
            if v == 0 {
                "binary".into()
            } else {
                format!("binary{v}")
            }
        }
        "password" => format!(
            "password{}",
            if v == 0 { String::new() } else { v.to_string() }
        ),
        "phone" | "tel" => format!("+1555555{:04}", 100 + v),
        _ => return None,
    })
}

/// A version-4-shaped UUID derived from the name, so the same field always gets the same id.
fn uuid(name: &str, variant: usize) -> String {
    let a = fnv(name, variant);
    let b = fnv(name, variant.wrapping_add(0x9e37));
    let hex = format!("{a:016x}{b:016x}");
    let h = |r: std::ops::Range<usize>| hex.get(r).unwrap_or("0").to_string();
    format!(
        "{}-{}-4{}-8{}-{}",
        h(0..8),
        h(8..12),
        h(13..16),
        h(17..20),
        h(20..32)
    )
}

/// Realistic strings for common property names (only when no format or pattern says otherwise).
pub(super) fn by_name(name: &str, variant: usize) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let suffix = if variant == 0 {
        String::new()
    } else {
        variant.to_string()
    };
    if lower.contains("email") {
        return Some(format!("user{suffix}@example.com"));
    }
    if lower.ends_with("url")
        || lower.ends_with("uri")
        || lower.ends_with("href")
        || lower == "link"
        || lower == "website"
    {
        return Some(
            format!(
                "https://example.com/{}{suffix}",
                lower.trim_end_matches("url").trim_end_matches('_')
            )
            .trim_end_matches('/')
            .to_string(),
        );
    }
    if lower == "id" || lower.ends_with("_id") || name.ends_with("Id") || name.ends_with("ID") {
        let h = fnv(&lower, variant);
        return Some(format!("{:012x}", h & 0xffff_ffff_ffff));
    }
    if lower.ends_with("_at")
        || (name.ends_with("At") && name.len() > 2)
        || lower.ends_with("timestamp")
        || lower.ends_with("datetime")
    {
        return Some(format!("2024-01-{:02}T12:00:00Z", 1 + variant % 28));
    }
    if lower == "date" || lower.ends_with("_date") || name.ends_with("Date") {
        return Some(format!("2024-01-{:02}", 1 + variant % 28));
    }
    if lower.contains("phone") {
        return Some(format!("+1555555{:04}", 100 + variant));
    }
    None
}
