//! The app directory the simulator knows.
//!
//! A handful of well-known apps carry realistic metadata. Any other well-formed slug resolves to a
//! synthesized key-based app, because end-to-end tests pick arbitrary slugs and the simulator has
//! no copy of Pipedream's 2,000-app directory; a malformed slug is rejected.

use crate::model::App;

struct Known {
    id: &'static str,
    slug: &'static str,
    name: &'static str,
    auth_type: &'static str,
    description: &'static str,
    custom_fields_json: &'static str,
    category: &'static str,
    weight: f64,
}

const KNOWN: &[Known] = &[
    Known {
        id: "app_1Z2hWk",
        slug: "openai",
        name: "OpenAI (ChatGPT)",
        auth_type: "keys",
        description: "OpenAI's models for text, images and embeddings.",
        custom_fields_json: r#"[{"name":"api_key","label":"API Key","type":"string","secret":true}]"#,
        category: "Artificial Intelligence (AI)",
        weight: 5000.0,
    },
    Known {
        id: "app_OrZhaO",
        slug: "stripe",
        name: "Stripe",
        auth_type: "keys",
        description: "Online payment processing for internet businesses.",
        custom_fields_json: r#"[{"name":"api_key","label":"Secret key","type":"string","secret":true}]"#,
        category: "Payment Processing",
        weight: 4000.0,
    },
    Known {
        id: "app_mWnhBo",
        slug: "airtable_oauth",
        name: "Airtable",
        auth_type: "oauth",
        description: "Spreadsheets with the power of a database.",
        custom_fields_json: "[]",
        category: "Productivity",
        weight: 3500.0,
    },
    Known {
        id: "app_OkrhR1",
        slug: "slack",
        name: "Slack",
        auth_type: "oauth",
        description: "Messaging for teams.",
        custom_fields_json: "[]",
        category: "Communication",
        weight: 4500.0,
    },
];

fn from_known(k: &Known) -> App {
    App {
        id: k.id.to_owned(),
        name_slug: k.slug.to_owned(),
        name: k.name.to_owned(),
        auth_type: k.auth_type.to_owned(),
        description: k.description.to_owned(),
        img_src: format!("https://assets.pipedream.net/s.v0/{}/logo/orig", k.id),
        custom_fields_json: k.custom_fields_json.to_owned(),
        categories: vec![k.category.to_owned()],
        featured_weight: k.weight,
    }
}

/// Whether `slug` looks like a Pipedream name slug: lower-case letters, digits and underscores.
fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 100
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A stable `app_` id for a synthesized app, so the `app` filter accepts it like a real id.
fn synthetic_id(slug: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in slug.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut id = String::from("app_");
    for _ in 0..6 {
        let i = usize::try_from(h % 62).unwrap_or(0);
        id.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'0')));
        h /= 62;
    }
    id
}

fn title_case(slug: &str) -> String {
    slug.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The app with this name slug: a known one, or a synthesized key-based one; `None` when the
/// slug is malformed.
pub(crate) fn by_slug(slug: &str) -> Option<App> {
    if let Some(k) = KNOWN.iter().find(|k| k.slug == slug) {
        return Some(from_known(k));
    }
    if !is_slug(slug) {
        return None;
    }
    let id = synthetic_id(slug);
    Some(App {
        img_src: format!("https://assets.pipedream.net/s.v0/{id}/logo/orig"),
        id,
        name_slug: slug.to_owned(),
        name: title_case(slug),
        auth_type: "keys".to_owned(),
        description: format!("The {} API.", title_case(slug)),
        custom_fields_json:
            r#"[{"name":"api_key","label":"API Key","type":"string","secret":true}]"#.to_owned(),
        categories: vec!["Developer Tools".to_owned()],
        featured_weight: 100.0,
    })
}

/// The app named by a slug or an app id, as the `app` filter and `app_id` parameters accept.
pub(crate) fn by_slug_or_id(key: &str) -> Option<App> {
    if let Some(k) = KNOWN.iter().find(|k| k.id == key) {
        return Some(from_known(k));
    }
    by_slug(key)
}

/// Whether an app matches an `app` filter value (its slug or its id).
pub(crate) fn matches(app: &App, key: &str) -> bool {
    app.name_slug == key || app.id == key
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn known_and_synthesized_apps() {
        assert_eq!(by_slug("openai").unwrap().id, "app_1Z2hWk");
        assert_eq!(by_slug_or_id("app_OkrhR1").unwrap().name_slug, "slack");
        let gh = by_slug("github_enterprise").unwrap();
        assert_eq!(gh.name, "Github Enterprise");
        assert!(crate::http::is_prefixed_alnum(&gh.id, "app_"));
        assert_eq!(gh.id, by_slug("github_enterprise").unwrap().id);
        assert!(by_slug("Not A Slug").is_none());
        assert!(by_slug("").is_none());
    }
}
