//! The documents a run names: files, directories (every `*.arazzo.yaml`,
//! `*.arazzo.yml` and `*.arazzo.json` directly inside, sorted by name) and
//! glob patterns, expanded here so they work the same from every shell
//! (Windows' `cmd` and PowerShell do not expand them).
//!
//! The matcher knows `*` (any run of characters but `/`), `?` (one character
//! but `/`) and `**` as a whole path segment (any number of directories,
//! none included). Nothing else is special: `[…]` and `{…}` match
//! themselves. A pattern's matches are sorted by path.

use std::path::{Path, PathBuf};

use super::Stop;

/// The most documents one run takes, so a pattern such as `/**` cannot make
/// a run walk a whole file system.
pub const MAX_DOCUMENTS: usize = 1000;

/// The most directory entries a pattern may look at.
const MAX_VISITED: usize = 100_000;

/// Whether `name` is an Arazzo document's file name, as a directory is searched.
pub fn is_arazzo_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".arazzo.yaml", ".arazzo.yml", ".arazzo.json"]
        .iter()
        .any(|s| lower.ends_with(s))
}

/// Whether `arg` is a glob pattern (has `*` or `?`) rather than a path.
fn is_pattern(arg: &str) -> bool {
    arg.contains('*') || arg.contains('?')
}

/// The documents `args` name, in order, each once: an http(s) URL or an
/// existing file as given, a directory's Arazzo documents sorted by name
/// (not recursive), a pattern's matches sorted. A directory with no
/// document or a pattern with no match is a usage error (exit 2), as is a
/// path that does not exist.
pub fn expand(args: &[String]) -> Result<Vec<String>, Stop> {
    let mut out: Vec<String> = Vec::new();
    let push = |out: &mut Vec<String>, s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for arg in args {
        if arg.starts_with("http://") || arg.starts_with("https://") || arg == "-" {
            push(&mut out, arg.clone());
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let found = directory(path)
                .map_err(|e| Stop::Usage(format!("cannot read the directory `{arg}`: {e}")))?;
            if found.is_empty() {
                return Err(Stop::Usage(format!(
                    "the directory `{arg}` holds no Arazzo document (*.arazzo.yaml, *.arazzo.yml, *.arazzo.json)"
                )));
            }
            for f in found {
                push(&mut out, f);
            }
        } else if is_pattern(arg) && !path.exists() {
            let found = glob(arg)?;
            if found.is_empty() {
                return Err(Stop::Usage(format!("no file matches `{arg}`")));
            }
            for f in found {
                push(&mut out, f);
            }
        } else {
            // A file, or a path the compiler reports as missing.
            push(&mut out, arg.clone());
        }
        if out.len() > MAX_DOCUMENTS {
            return Err(Stop::Usage(format!(
                "more than {MAX_DOCUMENTS} documents to run; name fewer"
            )));
        }
    }
    Ok(out)
}

/// The Arazzo documents directly inside `dir`, sorted by path.
fn directory(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut found: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_arazzo_name(name) && entry.path().is_file() {
            found.push(entry.path());
            if found.len() > MAX_DOCUMENTS {
                break;
            }
        }
    }
    found.sort();
    Ok(found.iter().map(|p| p.display().to_string()).collect())
}

/// The files matching `pattern`, sorted. `/` and, on Windows, `\` separate
/// segments.
fn glob(pattern: &str) -> Result<Vec<String>, Stop> {
    let normalized = if cfg!(windows) {
        pattern.replace('\\', "/")
    } else {
        pattern.to_string()
    };
    let absolute = normalized.starts_with('/');
    let segments: Vec<&str> = normalized.split('/').filter(|s| !s.is_empty()).collect();
    // The literal segments before the first pattern are the root to walk.
    let literal = segments.iter().take_while(|s| !is_pattern(s)).count();
    let mut root = PathBuf::new();
    if absolute {
        root.push("/");
    }
    for s in &segments[..literal] {
        root.push(s);
    }
    let mut found = Vec::new();
    let mut visited = 0usize;
    walk(&root, &segments[literal..], &mut found, &mut visited)?;
    found.sort();
    found.dedup();
    Ok(found
        .iter()
        .map(|p| {
            let s = p.display().to_string();
            s.strip_prefix("./").map(str::to_string).unwrap_or(s)
        })
        .collect())
}

/// Adds to `found` the files under `dir` that match the pattern `rest`.
fn walk(
    dir: &Path,
    rest: &[&str],
    found: &mut Vec<PathBuf>,
    visited: &mut usize,
) -> Result<(), Stop> {
    let Some((first, tail)) = rest.split_first() else {
        if dir.is_file() {
            found.push(dir.to_path_buf());
        }
        return Ok(());
    };
    if *first == "**" {
        // None: the rest matches here.
        walk(dir, tail, found, visited)?;
        for sub in entries(dir, visited)? {
            if sub.is_dir() && !is_symlink(&sub) {
                walk(&sub, rest, found, visited)?;
            }
        }
        return Ok(());
    }
    if !is_pattern(first) {
        return walk(&dir.join(first), tail, found, visited);
    }
    for sub in entries(dir, visited)? {
        let Some(name) = sub.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if matches(first.as_bytes(), name.as_bytes()) {
            walk(&sub, tail, found, visited)?;
        }
        if found.len() > MAX_DOCUMENTS {
            return Ok(());
        }
    }
    Ok(())
}

/// The entries of `dir` (none when it is not a readable directory); counts
/// them against [`MAX_VISITED`].
fn entries(dir: &Path, visited: &mut usize) -> Result<Vec<PathBuf>, Stop> {
    let base = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(read) = std::fs::read_dir(base) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in read.flatten() {
        *visited += 1;
        if *visited > MAX_VISITED {
            return Err(Stop::Usage(format!(
                "the pattern looks at more than {MAX_VISITED} files; make it narrower"
            )));
        }
        out.push(if dir.as_os_str().is_empty() {
            PathBuf::from(e.file_name())
        } else {
            e.path()
        });
    }
    out.sort();
    Ok(out)
}

/// Whether `p` is a symbolic link (not followed by `**`, which could loop).
fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether the segment pattern `p` (`*`, `?`, literal bytes) matches the
/// name `n`. Iterative, with one backtrack point: linear in practice, never
/// exponential.
fn matches(p: &[u8], n: &[u8]) -> bool {
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(b'?') => {
                // One character: skip a whole UTF-8 sequence.
                ni += utf8_len(n[ni]);
                pi += 1;
            }
            Some(c) if *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|c| *c == b'*')
}

/// The length of the UTF-8 sequence that starts with byte `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_patterns() {
        assert!(matches(b"*.arazzo.yaml", b"a.arazzo.yaml"));
        assert!(matches(b"*", b""));
        assert!(matches(b"a?c", b"abc"));
        assert!(matches("a?c".as_bytes(), "aéc".as_bytes()));
        assert!(!matches(b"a?c", b"ac"));
        assert!(matches(b"*b*", b"aaabaaa"));
        assert!(!matches(b"*.json", b"a.yaml"));
        assert!(matches(b"[x]", b"[x]"));
        let long = vec![b'a'; 5000];
        assert!(!matches(b"*a*a*a*a*a*b", &long));
    }

    #[test]
    fn names() {
        assert!(is_arazzo_name("x.Arazzo.YAML"));
        assert!(is_arazzo_name("x.arazzo.json"));
        assert!(!is_arazzo_name("x.yaml"));
    }
}
