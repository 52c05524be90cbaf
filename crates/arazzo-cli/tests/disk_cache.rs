//! The on-disk cache of parsed descriptions, through the real binary: a
//! second run reads the description from the cache (`-v` says so), the run
//! is the same either way, `--no-cache` and `ARAZZO_NO_CACHE=1` write
//! nothing, an unwritable or corrupt cache never fails a run, and a
//! diagnostic inside a description read from the cache still points at its
//! file, line and column. Every command sets `ARAZZO_CACHE_DIR` to a
//! directory of the test's own.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-cache-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/pipedream")
}

/// Line of the `$ref` that does not resolve, appended to the description
/// (column 5: the reference object `thing` holds).
fn broken_ref_line() -> usize {
    let desc = std::fs::read_to_string(specs().join("openapi/pipedream-openapi.yml")).unwrap();
    desc.lines().count() + 3
}

/// The flagship workflow beside a copy of its description made larger than
/// the smallest document cached (32 KiB) with trailing comments; with
/// `broken`, the description also ends in an `$ref` to a file that does not
/// exist (at [`broken_ref_line`], column 5). Returns the workflow's path.
fn flagship(dir: &Path, broken: bool) -> PathBuf {
    std::fs::create_dir_all(dir.join("arazzo")).unwrap();
    std::fs::create_dir_all(dir.join("openapi")).unwrap();
    let flow = "pipedream-connect-account-onboarding-workflow.yml";
    std::fs::copy(
        specs().join("arazzo").join(flow),
        dir.join("arazzo").join(flow),
    )
    .unwrap();
    let mut desc = std::fs::read_to_string(specs().join("openapi/pipedream-openapi.yml")).unwrap();
    if !desc.ends_with('\n') {
        desc.push('\n');
    }
    if broken {
        desc.push_str("x-broken:\n  thing:\n    $ref: ./missing.yaml#/Nope\nx-after: 1\n");
    }
    while desc.len() < 100 * 1024 {
        desc.push_str("# padding that makes the description large enough to be cached\n");
    }
    std::fs::write(dir.join("openapi/pipedream-openapi.yml"), desc).unwrap();
    dir.join("arazzo").join(flow)
}

/// `arazzo-run ARGS` with the cache in `cache` (and no other cache variable).
fn arazzo(cache: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("ARAZZO_CACHE_DIR", cache)
        .env_remove("ARAZZO_NO_CACHE")
        .env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `run FLOW --mock` with the flagship's inputs, `-v`, and `extra`.
fn run(cache: &Path, flow: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let inputs = specs().join("inputs.example.yaml");
    let mut args = vec![
        "run",
        flow.to_str().unwrap(),
        "--mock",
        "--inputs",
        inputs.to_str().unwrap(),
        "-v",
    ];
    args.extend_from_slice(extra);
    arazzo(cache, &args, envs)
}

/// The cache's entries.
fn entries(cache: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(cache)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn report(out: &Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Timings and the mock's port differ from run to run.
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| {
                    !(k == "url"
                        || k.contains("duration")
                        || k.contains("started")
                        || k.contains("At"))
                });
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn a_second_run_reads_the_description_from_the_cache() {
    let dir = workdir("hit");
    let flow = flagship(&dir, false);
    let cache = dir.join("cache");
    let first = run(&cache, &flow, &["--format", "json"], &[]);
    let err = text(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{err}");
    assert!(err.contains("pipedream-openapi.yml written to"), "{err}");
    let files = entries(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].extension().is_some_and(|e| e == "arzc"),
        "{files:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache), 0o700);
        assert_eq!(mode(&files[0]), 0o600);
    }

    let second = run(&cache, &flow, &["--format", "json"], &[]);
    let err = text(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert!(err.contains("pipedream-openapi.yml read from"), "{err}");
    assert!(!err.contains("written to"), "{err}");
    assert_eq!(report(&first), report(&second));
    assert_eq!(entries(&cache), files);

    // Without -v the cache says nothing.
    let inputs = specs().join("inputs.example.yaml");
    let quiet = arazzo(
        &cache,
        &[
            "run",
            flow.to_str().unwrap(),
            "--mock",
            "--inputs",
            inputs.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        !text(&quiet.stderr).contains("cache"),
        "{}",
        text(&quiet.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_cache_writes_nothing() {
    let dir = workdir("off");
    let flow = flagship(&dir, false);
    let cache = dir.join("cache");
    let out = run(&cache, &flow, &["--no-cache"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("cache:"));
    let out = run(&cache, &flow, &[], &[("ARAZZO_NO_CACHE", "1")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let f = flow.to_str().unwrap();
    let out = arazzo(&cache, &["validate", f, "--no-cache"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = arazzo(&cache, &["graph", f, "--no-cache"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!cache.exists(), "{:?}", entries(&cache));
    // `validate` and `graph` use the cache too.
    let out = arazzo(&cache, &["validate", f], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(entries(&cache).len(), 1);
    let out = arazzo(&cache, &["graph", f], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("flowchart"),
        "{}",
        text(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_cache_does_not_fail_the_run() {
    let dir = workdir("unwritable");
    let flow = flagship(&dir, false);
    // A file where a directory should be: nothing can be created under it
    // (whatever the user's privileges).
    std::fs::write(dir.join("file"), b"not a directory").unwrap();
    let cache = dir.join("file/cache");
    let out = run(&cache, &flow, &[], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("cache: could not write"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_cache_entry_is_parsed_again_and_replaced() {
    let dir = workdir("corrupt");
    let flow = flagship(&dir, false);
    let cache = dir.join("cache");
    let out = run(&cache, &flow, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let entry = entries(&cache).pop().unwrap();
    let good = std::fs::read(&entry).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    let mut huge = good.clone();
    // The node count (after the header: magic, format, crate version, key,
    // lengths, checksum; and the root node) says four billion.
    let at = 8 + 4 + 1 + usize::from(good[12]) + 32 + 8 + 8 + 4 + 24;
    huge[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut other_version = good.clone();
    other_version[8] ^= 0xff;
    for bad in [
        Vec::new(),
        good[..good.len() / 3].to_vec(),
        flipped,
        huge,
        other_version,
        b"garbage".to_vec(),
    ] {
        std::fs::write(&entry, &bad).unwrap();
        let out = run(&cache, &flow, &[], &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains("is not a valid entry"), "{err}");
        assert!(err.contains("written to"), "{err}");
        assert_eq!(std::fs::read(&entry).unwrap(), good);
    }
    // A directory where the entry should be.
    std::fs::remove_file(&entry).unwrap();
    std::fs::create_dir(&entry).unwrap();
    let out = run(&cache, &flow, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diagnostics_in_a_cached_description_keep_their_place() {
    let dir = workdir("diagnostics");
    let flow = flagship(&dir, true);
    let cache = dir.join("cache");
    let f = flow.to_str().unwrap();
    let first = arazzo(&cache, &["validate", f], &[]);
    assert_eq!(entries(&cache).len(), 1);
    let second = arazzo(&cache, &["validate", f], &[]);
    let shown = text(&second.stdout) + &text(&second.stderr);
    let place = format!("pipedream-openapi.yml:{}:5", broken_ref_line());
    assert!(shown.contains(&place), "no {place} in:\n{shown}");
    assert!(shown.contains("$ref: ./missing.yaml#/Nope"), "{shown}");
    assert_eq!(text(&first.stdout), text(&second.stdout));
    assert_eq!(text(&first.stderr), text(&second.stderr));
    assert_eq!(first.status.code(), second.status.code());
    // The same in JSON.
    let first = arazzo(
        &cache,
        &["validate", f, "--format", "json", "--no-cache"],
        &[],
    );
    let second = arazzo(&cache, &["validate", f, "--format", "json"], &[]);
    assert_eq!(text(&first.stdout), text(&second.stdout));
    assert!(text(&second.stdout).contains("missing.yaml"));
    let _ = std::fs::remove_dir_all(&dir);
}
