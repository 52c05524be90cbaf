//! `--deny CODE` and `--allow CODE`: the severity of a document's findings,
//! chosen by their code (`docs/diagnostics.md`), for `run` and `validate`.

use arazzo_model::{Code, Diagnostic, Severity};

/// Which warning codes are errors (`--deny`) and which are silenced
/// (`--allow`). Errors stay errors: `--allow` silences warnings only.
#[derive(Debug, Clone, Default)]
pub struct CodePolicy {
    /// Warnings with these codes become errors.
    deny: Vec<Code>,
    /// Warnings with these codes are left out.
    allow: Vec<Code>,
}

impl CodePolicy {
    /// The policy of the `--deny` and `--allow` values; an unknown code, or
    /// one both denied and allowed, is a usage error (with the known code
    /// it most resembles).
    pub fn parse(deny: &[String], allow: &[String]) -> Result<CodePolicy, String> {
        let codes = |flag: &str, names: &[String]| -> Result<Vec<Code>, String> {
            names.iter().map(|n| code(flag, n)).collect()
        };
        let policy = CodePolicy {
            deny: codes("--deny", deny)?,
            allow: codes("--allow", allow)?,
        };
        if let Some(both) = policy.deny.iter().find(|c| policy.allow.contains(c)) {
            return Err(format!(
                "`{both}` is given to both --deny and --allow; choose one"
            ));
        }
        Ok(policy)
    }

    /// `diagnostics` under the policy: denied warnings as errors (saying
    /// so in their hint), allowed warnings left out.
    pub fn apply(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        if self.deny.is_empty() && self.allow.is_empty() {
            return diagnostics;
        }
        diagnostics
            .into_iter()
            .filter(|d| d.is_error() || !self.allow.contains(&d.code))
            .map(|mut d| {
                if !d.is_error() && self.deny.contains(&d.code) {
                    d.severity = Severity::Error;
                    let why = format!("an error under `--deny {}`", d.code);
                    d.hint = Some(match d.hint.take() {
                        Some(h) if !h.is_empty() => format!("{h} ({why})"),
                        _ => why,
                    });
                }
                d
            })
            .collect()
    }
}

/// The code named `name` given to `flag`, or why there is none.
fn code(flag: &str, name: &str) -> Result<Code, String> {
    Code::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        format!(
            "{flag}: unknown diagnostic code `{}`{}; the codes are listed in docs/diagnostics.md (`arazzo-run validate` shows each finding's code)",
            crate::suggest::shown(name),
            crate::suggest::did_you_mean(crate::suggest::closest(name, &names))
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_refused_with_the_closest_one() {
        let e = CodePolicy::parse(&["expresion-syntax".into()], &[]).err();
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("did you mean `expression-syntax`?")),
            "{e:?}"
        );
        let both = CodePolicy::parse(&["unknown-input".into()], &["unknown-input".into()]);
        assert!(both.is_err());
    }

    #[test]
    fn deny_makes_errors_and_allow_silences_warnings_only() {
        let warn = Diagnostic::warning(Code::UnknownInput, "no input `x`");
        let error = Diagnostic::error(Code::UnknownInput, "no input `y`");
        let deny = CodePolicy::parse(&["unknown-input".into()], &[]).unwrap_or_default();
        let out = deny.apply(vec![warn.clone()]);
        assert!(out.iter().all(Diagnostic::is_error), "{out:?}");
        let allow = CodePolicy::parse(&[], &["unknown-input".into()]).unwrap_or_default();
        let out = allow.apply(vec![warn, error]);
        assert_eq!(out.len(), 1);
        assert!(out.iter().all(Diagnostic::is_error));
    }
}
