//! "Did you mean …?" suggestions for misspelt names.

/// The candidate closest to `word`: equal ignoring case, or within a small
/// edit distance (1 for short words, 2 otherwise).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    closest_n(word, candidates, 1).into_iter().next()
}

/// Up to `n` candidates close to `word`, best first. Candidates containing
/// `word` (ignoring case) also count as close, which helps with long
/// operationIds.
pub fn closest_n<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let lower = word.to_ascii_lowercase();
    let limit = match word.chars().count() {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cl = c.to_ascii_lowercase();
            let d = if cl == lower {
                0
            } else {
                levenshtein(&lower, &cl)
            };
            let contains = lower.len() >= 3 && (cl.contains(&lower) || lower.contains(&cl));
            (d <= limit || contains).then_some((if contains { d.min(limit) } else { d }, c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The Levenshtein edit distance between two strings (by characters).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("sucessCriteria", ["successCriteria", "onSuccess"]),
            Some("successCriteria")
        );
        assert_eq!(closest("PAR", ["Par", "token"]), Some("Par"));
        assert_eq!(closest("zzz", ["successCriteria"]), None);
        assert_eq!(
            closest_n("getPet", ["getPets", "getPetById", "deletePet"], 2),
            vec!["getPets", "getPetById"]
        );
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
