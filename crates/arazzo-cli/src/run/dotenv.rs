//! `--env-file FILE`: a dotenv file, read as the process environment would
//! be (for `ARAZZO_AUTH_*` credentials and `ARAZZO_INPUT_*` inputs).
//!
//! The format: one `KEY=VALUE` per line; blank lines and lines starting with
//! `#` are ignored; an optional `export ` prefix; the value is taken as
//! written (surrounding spaces trimmed), or between single quotes (literal)
//! or double quotes (`\n`, `\t`, `\"`, `\\` unescaped); after an unquoted
//! value, ` #` starts a comment. There is no variable expansion: `$HOME`
//! stays `$HOME`. A malformed line stops the run (exit 2) naming the file
//! and line, without quoting the line (it may hold a secret).

use std::collections::HashMap;

use super::Stop;

/// The largest env file read (the `--inputs` file's limit).
const MAX_BYTES: usize = crate::input::MAX_BYTES;

/// The variables of a dotenv file.
#[derive(Debug, Default, Clone)]
pub struct EnvFile {
    vars: HashMap<String, String>,
}

impl EnvFile {
    /// Reads and parses `path`.
    pub fn read(path: &str) -> Result<EnvFile, Stop> {
        let bytes = crate::input::read_file(path, MAX_BYTES)
            .map_err(|d| Stop::Usage(format!("--env-file: {}", d.message)))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Stop::Usage(format!("--env-file {path}: the file is not UTF-8")))?;
        parse(&text).map_err(|(line, why)| Stop::Usage(format!("{path}:{line}: {why}")))
    }

    /// The value of `key`, if the file sets it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }
}

/// Parses a dotenv text; an error is the 1-based line and why.
fn parse(text: &str) -> Result<EnvFile, (usize, String)> {
    let mut vars = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            return Err((n, "expected KEY=VALUE (there is no `=`)".into()));
        };
        let key = key.trim();
        let valid_key = !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_key {
            return Err((
                n,
                "the name before `=` must be letters, digits and `_`, not starting with a digit"
                    .into(),
            ));
        }
        vars.insert(key.to_string(), value_of(value.trim()).map_err(|e| (n, e))?);
    }
    Ok(EnvFile { vars })
}

/// A value as written, quoted or not.
fn value_of(v: &str) -> Result<String, String> {
    if let Some(rest) = v.strip_prefix('\'') {
        let Some((inner, after)) = rest.split_once('\'') else {
            return Err("a single quote is not closed (values are one line)".into());
        };
        trailing(after)?;
        return Ok(inner.to_string());
    }
    if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    trailing(&rest[i + 1..])?;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, c)) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("a double quote is not closed (values are one line)".into());
    }
    let v = match v.find(" #") {
        Some(at) => v[..at].trim_end(),
        None => v,
    };
    Ok(v.to_string())
}

/// After a closing quote, only spaces and a comment.
fn trailing(after: &str) -> Result<(), String> {
    let after = after.trim_start();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err("unexpected text after the closing quote".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let text = "# c\n\nA=1\nexport B = two words # note\nC='lit $X # no'\nD=\"a\\nb\\\"\"\nE=\nF=x=y\n";
        let f = parse(text).unwrap_or_default();
        assert_eq!(f.get("A"), Some("1"));
        assert_eq!(f.get("B"), Some("two words"));
        assert_eq!(f.get("C"), Some("lit $X # no"));
        assert_eq!(f.get("D"), Some("a\nb\""));
        assert_eq!(f.get("E"), Some(""));
        assert_eq!(f.get("F"), Some("x=y"));
    }

    #[test]
    fn malformed_lines_name_their_line() {
        assert_eq!(parse("A=1\nnope\n").err().map(|e| e.0), Some(2));
        assert_eq!(parse("1A=x").err().map(|e| e.0), Some(1));
        assert_eq!(parse("A='x").err().map(|e| e.0), Some(1));
        assert_eq!(parse("A=\"x\" y").err().map(|e| e.0), Some(1));
        assert_eq!(parse("=x").err().map(|e| e.0), Some(1));
    }
}
