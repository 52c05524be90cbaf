#!/usr/bin/env bash
# Runs arazzo-run's fuzz targets. Not part of CI: fuzzing is open-ended.
#
#   fuzz/run.sh SECONDS [TARGET ...]     # the targets side by side for SECONDS (default: all)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain the
# script sets RUSTC_BOOTSTRAP=1, which lets cargo-fuzz pass the unstable
# sanitizer flags it needs. Each target starts from a seed corpus built from
# ../shared/corpus (Arazzo and OpenAPI documents), the conformance cases and
# fuzz/regressions/<target>/; the seed corpus and whatever the fuzzer adds
# live in fuzz/corpus/ (not committed). Logs and crashes land in fuzz/artifacts/:
# fix it, then copy the input to fuzz/regressions/<target>/ so `cargo test`
# replays it for ever (crates/arazzo-fuzz-targets/tests/regressions.rs).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET ...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(load document openapi expression criterion serialize mock_validate)
fi
shared=../../shared/corpus
export RUSTC_BOOTSTRAP=1

seed() { # target
  local dir=corpus/$1
  mkdir -p "$dir"
  [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return 0
  cp regressions/"$1"/* "$dir"/ 2>/dev/null || true
  case $1 in
    load|document|openapi)
      if [ -f "$shared/MANIFEST.tsv" ]; then
        # Documents under 64 KiB (the fuzzer's -max_len), Arazzo for
        # `document`, OpenAPI for `openapi`, both for `load`.
        local kind
        case $1 in document) kind=arazzo ;; openapi) kind=openapi ;; *) kind=. ;; esac
        awk -F'\t' -v k="$kind" 'NR > 1 && (k == "." || $5 == k) {print $1}' "$shared/MANIFEST.tsv" |
          while read -r p; do
            f=$shared/$p
            [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$dir/$(echo "$p" | tr / _)"
          done
      fi
      if [ "$1" != openapi ]; then
        find ../conformance/cases -name '*.arazzo.yaml' -size -64k 2>/dev/null |
          while read -r f; do cp "$f" "$dir/case_$(echo "$f" | tr / _)"; done
      fi
      ;;
  esac
}

# Build every target once, then run the binaries side by side (one process
# per target; `cargo fuzz run` would rebuild, and serialize, each).
cargo fuzz build --release --debug-assertions
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p artifacts
pids=()
for t in "${targets[@]}"; do
  seed "$t"
  mkdir -p "artifacts/$t"
  echo "== $t: $seconds s" >&2
  "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 > "artifacts/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for t in "${targets[@]}"; do
  echo "== $t: $(grep -aE '^stat::number_of_executed_units' "artifacts/$t.log" || true)" >&2
done
exit $status
