//! "Did you mean …?" for names given on the command line: subcommands,
//! `--workflow` ids, input names, `--auth` schemes. One rule for all of
//! them — the edit distance of [`arazzo_model::suggest`], which the
//! document diagnostics use too — so a typo gets the same kind of answer
//! wherever it is made.

/// At most this many names are listed in a message; past it, the message
/// says how many there are instead.
pub const LIST_MAX: usize = 12;

/// The candidate closest to `word` (ignoring case, or within a small edit
/// distance; a candidate containing `word` counts too, which helps with
/// long ids), if any.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    arazzo_model::suggest::closest(word, candidates.iter().copied())
}

/// Like [`closest`], but by edit distance only (a swap of two neighbouring
/// letters counts as one edit): for words where containing a candidate
/// means nothing (`myrun.yaml` is not a misspelt `run`), and for warnings,
/// which should not fire on a mere resemblance.
pub fn closest_strict<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    // The shorter of the two words decides how many edits are a typo:
    // `myrun` is two edits from `run`, which is too much for three letters.
    let limit = |c: &str| match word.chars().count().min(c.chars().count()) {
        0..=2 => 0,
        3..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    candidates
        .iter()
        .map(|c| (distance(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= limit(c))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// The edit distance between `a` and `b` by characters, where inserting,
/// deleting or replacing a character, or swapping two neighbours, is one
/// edit (the optimal string alignment distance).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // rows[i][j]: the distance between a[..i] and b[..j].
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// ` (did you mean `c`?)` when `c` is close to `word`, else nothing.
pub fn did_you_mean(close: Option<&str>) -> String {
    close
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// `the {what} are: a, b` when there are at most [`LIST_MAX`] names, else
/// `there are N {what}`.
pub fn listing(names: &[&str], what: &str) -> String {
    if names.len() <= LIST_MAX {
        format!("the {what} are: {}", names.join(", "))
    } else {
        format!("there are {} {what}", names.len())
    }
}

/// `s` with control characters and bidirectional overrides made visible,
/// for echoing what a user typed back to a terminal.
pub fn shown(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let hide =
                c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            let escaped: Vec<char> = if hide {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_suggestions_are_by_edit_distance_only() {
        let subcommands = ["run", "validate", "list", "graph", "mock"];
        assert_eq!(closest_strict("valdate", &subcommands), Some("validate"));
        assert_eq!(closest_strict("Validate", &subcommands), Some("validate"));
        assert_eq!(closest_strict("lst", &subcommands), Some("list"));
        assert_eq!(closest_strict("lsit", &subcommands), Some("list"));
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(closest_strict("myrun", &subcommands), None);
        assert_eq!(closest_strict("pets", &subcommands), None);
        assert_eq!(closest_strict("ru", &subcommands), None);
        assert_eq!(closest_strict("hello", &["help"]), None);
        assert_eq!(closest_strict("grahp", &subcommands), Some("graph"));
    }

    #[test]
    fn loose_suggestions_take_containment() {
        let ids = ["connect-account-onboarding", "refresh"];
        assert_eq!(
            closest("onboarding", &ids),
            Some("connect-account-onboarding")
        );
        assert_eq!(
            closest("oauth2", &["OAuth2", "ConnectToken"]),
            Some("OAuth2")
        );
        assert_eq!(closest("zzz", &ids), None);
    }

    #[test]
    fn long_lists_are_counted() {
        assert_eq!(listing(&["a", "b"], "workflows"), "the workflows are: a, b");
        let many: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(listing(&many, "workflows"), "there are 20 workflows");
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(shown("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(shown("plain.yaml"), "plain.yaml");
    }
}
