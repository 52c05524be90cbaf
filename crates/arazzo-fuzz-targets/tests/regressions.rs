//! Replays every input kept under `fuzz/regressions/<target>/`: the seeds
//! written by hand and every crash or hang a fuzzer found, once fixed. Each
//! input runs on a thread with a small stack, so that a stack overflow the
//! fuzzer found cannot come back hidden behind a large main-thread stack.

use std::path::PathBuf;

/// The stack each input runs on; the CLI's own threads have far more.
const STACK: usize = 512 * 1024;

fn regressions() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions")
}

#[test]
fn every_kept_input_runs_cleanly() {
    let root = regressions();
    let mut ran = 0;
    for (name, body) in arazzo_fuzz_targets::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no inputs kept for target `{name}`");
        for file in files {
            let data = std::fs::read(&file).expect("read a kept input");
            let body = *body;
            let outcome = std::thread::Builder::new()
                .stack_size(STACK)
                .spawn(move || body(&data))
                .expect("spawn")
                .join();
            assert!(outcome.is_ok(), "{name}: {} panicked", file.display());
            ran += 1;
        }
    }
    assert!(ran >= arazzo_fuzz_targets::TARGETS.len());
}

#[test]
fn every_target_has_a_fuzz_binary() {
    let fuzz = regressions().join("../fuzz_targets");
    for (name, _) in arazzo_fuzz_targets::TARGETS {
        let file = fuzz.join(format!("{name}.rs"));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("arazzo_fuzz_targets::{name}(")),
            "{} does not call its target",
            file.display()
        );
    }
}
