//! The on-disk cache of parsed descriptions on the command line: on by
//! default for the commands that load descriptions (`run`, `validate`,
//! `graph`), in `$ARAZZO_CACHE_DIR`, else `$XDG_CACHE_HOME/arazzo-run`,
//! else `$HOME/.cache/arazzo-run`; off with `--no-cache` or
//! `ARAZZO_NO_CACHE=1`, or when none of those variables is set. The policy
//! (what is keyed, bounds, corruption) is in docs/semantics.md.

use std::io::Write;
use std::path::PathBuf;

use arazzo_openapi::DiskCache;

/// The `--no-cache` flag, shared by the commands that load descriptions.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CacheArgs {
    /// Parse every description, and neither read nor write the on-disk
    /// cache of parsed descriptions (`ARAZZO_NO_CACHE=1` does the same). The
    /// cache lives in $ARAZZO_CACHE_DIR, else $XDG_CACHE_HOME/arazzo-run,
    /// else ~/.cache/arazzo-run.
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The cache to use, from the flag and the environment.
    pub fn disk_cache(&self) -> Option<DiskCache> {
        disk_cache(self.no_cache, &|k| std::env::var_os(k))
    }
}

/// The cache directory the flag and `env` choose, if any.
fn disk_cache(
    no_cache: bool,
    env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<DiskCache> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    if no_cache || set("ARAZZO_NO_CACHE").is_some_and(|v| v != "0") {
        return None;
    }
    let dir = match set("ARAZZO_CACHE_DIR") {
        Some(d) => PathBuf::from(d),
        // XDG: a relative path in the variable is to be ignored.
        None => match set("XDG_CACHE_HOME").map(PathBuf::from) {
            Some(d) if d.is_absolute() => d.join("arazzo-run"),
            _ => PathBuf::from(set("HOME")?)
                .join(".cache")
                .join("arazzo-run"),
        },
    };
    Some(DiskCache::new(dir))
}

/// Shows what the cache did (hits, writes, misses and why) on standard
/// error when `verbose`; forgets it otherwise. The cache never fails a
/// command, so this is the only place its problems appear.
pub fn show_notes(cache: Option<&DiskCache>, verbose: bool, err: &mut dyn Write) {
    let Some(cache) = cache else { return };
    let notes = cache.take_notes();
    if verbose {
        for n in notes {
            // A path may hold control characters: never sent to the terminal.
            let n: String = n
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            let _ = writeln!(err, "{n}");
        }
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn dir(no_cache: bool, vars: &[(&str, &str)]) -> Option<PathBuf> {
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        };
        disk_cache(no_cache, &env).map(|c| c.dir().to_path_buf())
    }

    #[test]
    fn the_directory_comes_from_the_environment_in_order() {
        let all = [
            ("ARAZZO_CACHE_DIR", "/a"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(dir(false, &all), Some(PathBuf::from("/a")));
        assert_eq!(dir(false, &all[1..]), Some(PathBuf::from("/x/arazzo-run")));
        assert_eq!(
            dir(false, &[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/arazzo-run"))
        );
        assert_eq!(
            dir(false, &all[2..]),
            Some(PathBuf::from("/h/.cache/arazzo-run"))
        );
        assert_eq!(dir(false, &[("HOME", "")]), None);
        assert_eq!(dir(false, &[]), None);
    }

    #[test]
    fn the_flag_and_the_variable_turn_it_off() {
        let a = ("ARAZZO_CACHE_DIR", "/a");
        assert_eq!(dir(true, &[a]), None);
        assert_eq!(dir(false, &[a, ("ARAZZO_NO_CACHE", "1")]), None);
        assert_eq!(
            dir(false, &[a, ("ARAZZO_NO_CACHE", "0")]),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            dir(false, &[a, ("ARAZZO_NO_CACHE", "")]),
            Some(PathBuf::from("/a"))
        );
    }
}
