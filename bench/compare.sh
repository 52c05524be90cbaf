#!/usr/bin/env bash
# bench/compare.sh: time arazzo-run against peer Arazzo engines on the flagship workflow.
#
# Run by hand, never in CI: it installs third-party engines from npm, PyPI and
# GitHub and takes minutes to hours (the two Rust peers build from source).
#
# What it does
#   1. Builds arazzo-run and the Pipedream stand-in in release
#      (`cargo build --release -p arazzo-cli -p pipedream-sim`), unless $ARAZZO_RUN
#      names an arazzo-run binary to use instead.
#   2. Installs each peer into a scratch directory ($BENCH_DIR), reusing what an
#      earlier run installed:
#        respect     Redocly Respect: `npm install @redocly/cli`, its `respect` command
#        jentic      Jentic's arazzo-runner: `pip install arazzo-runner` in a venv
#        strefethen  strefethen/arazzo-cli: `cargo install --path crates/arazzo-cli`
#        roas        sv-tools/roas: `cargo install --path crates/roas-cli` (`roas arazzo run`)
#      The two Rust peers are cloned from GitHub, or taken from a local checkout
#      ($STREFETHEN_SRC, $ROAS_SRC). A peer that cannot be installed is reported as
#      skipped; the script goes on with the others.
#   3. Starts `pipedream-sim --port P` on 127.0.0.1 (stopped on every exit) and runs
#      specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml with
#      specs/pipedream/inputs.example.yaml once with each engine, each pointed at the
#      stand-in the way it supports:
#        arazzo-run  --server pipedreamApi=URL, OAuth2 client credentials via --auth
#                    (it fetches the token itself, one request more than the peers
#                    given a token)
#        respect     --server pipedreamApi=URL; Respect sends credentials only from its
#                    `x-security` extension, so it runs a temporary copy of the workflow
#                    with `x-security` (OAuth2 accessToken = a token minted from the
#                    stand-in beforehand) added to each step
#        jentic      no server override: a temporary copy of the description with
#                    `servers` and `tokenUrl` rewritten; OAuth2 client credentials from
#                    PIPEDREAM_OAUTH2_CLIENT_ID/_SECRET (it fetches the token itself)
#        strefethen  no server override: the same rewritten copy; the minted token
#                    with -H 'Authorization: Bearer …' (it models no auth)
#        roas        --source pipedreamApi=FILE --base-url pipedreamApi=URL; the minted
#                    token with --header
#      An engine counts as working when it exits 0 and its output shows the workflow
#      succeeded; one that fails is reported with the end of its output and not timed.
#      Files under specs/ are never modified: copies go to a temporary directory.
#   4. Times the working engines with hyperfine (each run a new process, no shell),
#      in $ROUNDS rounds whose order alternates, each round with $WARMUP warm-up
#      runs, so that every engine gets at least $RUNS timed runs spread over the
#      whole measurement. arazzo-run is timed twice: `--no-cache` (cold) and with a
#      warm cache in $ARAZZO_CACHE_DIR. Peak RSS is the median of $RSS_RUNS runs of
#      `/usr/bin/time -f %M`.
#   5. Prints a Markdown table: wall median, user+sys CPU (mean per run), peak RSS,
#      and the ratios of wall time to strefethen/arazzo-cli and to arazzo-run
#      (--no-cache), and of CPU and RSS to arazzo-run.
#
# Usage
#   bench/compare.sh
#   ENGINES="arazzo-run arazzo-run-cached strefethen" bench/compare.sh
#
# Environment (all optional)
#   ARAZZO_RUN        arazzo-run binary to measure (default: build it in release)
#   PIPEDREAM_SIM     pipedream-sim binary (default: the release build beside it)
#   BENCH_DIR         scratch dir for the peers (default:
#                     ${XDG_CACHE_HOME:-$HOME/.cache}/arazzo-run-bench)
#   STREFETHEN_SRC    local checkout of strefethen/arazzo-cli (default: clone
#                     $STREFETHEN_GIT into $BENCH_DIR/src/strefethen)
#   ROAS_SRC          local checkout of sv-tools/roas (default: clone $ROAS_GIT)
#   STREFETHEN_GIT, ROAS_GIT   clone URLs (default: https://github.com/…)
#   REDOCLY_CLI_VERSION        npm version of @redocly/cli (default: latest)
#   ARAZZO_RUNNER_VERSION      PyPI version of arazzo-runner (default: latest)
#   ENGINES           which to run, space-separated, from: arazzo-run
#                     arazzo-run-cached respect jentic strefethen roas (default: all)
#   PORT              port for the stand-in (default 0: a free one it picks)
#   RUNS (20), WARMUP (3), ROUNDS (4), RSS_RUNS (5)
#   CARGO_BUILD_JOBS  parallel jobs of the cargo builds (they always run under nice)
#   KEEP_WORK=1       keep the temporary directory (logs, copies, hyperfine JSON)
#
# Needs: bash, git, cargo, curl, python3 (with venv; PyYAML, else the venv's),
# npm, hyperfine and GNU time (both installed with apt-get when missing and root).
# Every request goes to 127.0.0.1; the peers' telemetry and update checks are off.
# A cached install is reused as is: delete $BENCH_DIR/<peer> to reinstall it.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/arazzo-run-bench}
STREFETHEN_GIT=${STREFETHEN_GIT:-https://github.com/strefethen/arazzo-cli}
ROAS_GIT=${ROAS_GIT:-https://github.com/sv-tools/roas}
REDOCLY_CLI_VERSION=${REDOCLY_CLI_VERSION:-latest}
ARAZZO_RUNNER_VERSION=${ARAZZO_RUNNER_VERSION:-}
ENGINES=${ENGINES:-arazzo-run arazzo-run-cached respect jentic strefethen roas}
PORT=${PORT:-0}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-4}
RSS_RUNS=${RSS_RUNS:-5}
NOTES=()

WORKFLOW_REL=specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml
OPENAPI_REL=specs/pipedream/openapi/pipedream-openapi.yml
INPUTS_REL=specs/pipedream/inputs.example.yaml
WORKFLOW_ID=connect-account-onboarding
SOURCE=pipedreamApi
CLIENT_ID=sim-client-id
CLIENT_SECRET=sim-client-secret

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Quote one word for hyperfine --shell=none, which splits commands like a POSIX shell.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
quote_cmd() {
  local out="" w
  for w in "$@"; do out+="$(q "$w") "; done
  printf '%s' "${out% }"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/arazzo-compare.XXXXXX")
SIM_PID=""
cleanup() {
  local status=$?
  if [[ -n $SIM_PID ]]; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  if [[ ${KEEP_WORK:-0} == 1 ]]; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$BENCH_DIR/logs"

# Peers' network side effects off: Redocly's telemetry and update notice, npm's.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export NPM_CONFIG_UPDATE_NOTIFIER=false NO_UPDATE_NOTIFIER=1 NPM_CONFIG_FUND=false
export PIP_DISABLE_PIP_VERSION_CHECK=1

# --- tools -------------------------------------------------------------------

need_tool() { # need_tool COMMAND APT-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing $2 (apt-get)"
    apt-get install -y "$2" >"$BENCH_DIR/logs/apt-$2.log" 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >"$BENCH_DIR/logs/apt-$2.log" 2>&1; } \
      || die "could not install $2 (see $BENCH_DIR/logs/apt-$2.log)"
  else
    die "$1 is missing: install $2"
  fi
}
need_tool hyperfine hyperfine
[[ -x /usr/bin/time ]] || need_tool /usr/bin/time time
for t in git curl python3; do command -v "$t" >/dev/null 2>&1 || die "$t is missing"; done

# --- arazzo-run and the stand-in ---------------------------------------------

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ -n ${ARAZZO_RUN:-} ]] && NOTES+=("The arazzo-run measured is \$ARAZZO_RUN=$ARAZZO_RUN; its version column names the checkout the script ran from")
if [[ -z ${ARAZZO_RUN:-} ]]; then
  say "building arazzo-run and pipedream-sim (release)"
  (cd "$ROOT" && nice -n 10 cargo build --release -p arazzo-cli -p pipedream-sim)
  ARAZZO_RUN=$TARGET/release/arazzo-run
fi
PIPEDREAM_SIM=${PIPEDREAM_SIM:-$TARGET/release/pipedream-sim}
if [[ ! -x $PIPEDREAM_SIM ]]; then
  say "building pipedream-sim (release)"
  (cd "$ROOT" && nice -n 10 cargo build --release -p pipedream-sim)
fi
[[ -x $ARAZZO_RUN ]] || die "ARAZZO_RUN=$ARAZZO_RUN is not an executable"
[[ -x $PIPEDREAM_SIM ]] || die "PIPEDREAM_SIM=$PIPEDREAM_SIM is not an executable"

# --- peers -------------------------------------------------------------------

declare -A SKIPPED=() VERSION=()

wants() { [[ " $ENGINES " == *" $1 "* ]]; }

git_desc() { # the commit of a checkout, or a note that it has none
  git -C "$1" rev-parse HEAD 2>/dev/null || echo "local tree (no git)"
}

peer_src() { # peer_src NAME URL [LOCAL]: print the checkout to build
  local name=$1 url=$2 local_src=${3:-}
  if [[ -n $local_src ]]; then
    [[ -d $local_src ]] || { echo "no directory $local_src" >&2; return 1; }
    (cd "$local_src" && pwd)
    return 0
  fi
  local dir=$BENCH_DIR/src/$name
  if [[ ! -d $dir/.git ]]; then
    rm -rf "$dir"
    timeout 600 git clone --quiet --depth 1 "$url" "$dir" >&2 || return 1
  fi
  echo "$dir"
}

install_respect() {
  local prefix=$BENCH_DIR/respect
  if [[ ! -x $prefix/node_modules/.bin/redocly ]]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is missing"; return 1; }
    mkdir -p "$prefix" || return 1
    timeout 900 npm install --no-audit --no-fund --prefix "$prefix" \
      "@redocly/cli@$REDOCLY_CLI_VERSION" || return 1
  fi
  RESPECT=$prefix/node_modules/.bin/redocly
  VERSION[respect]="@redocly/cli $("$RESPECT" --version 2>/dev/null | tail -n 1), node $(node --version)"
}

install_jentic() {
  local venv=$BENCH_DIR/jentic
  if [[ ! -x $venv/bin/arazzo-runner ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv" || return 1
    timeout 900 "$venv/bin/pip" install --quiet \
      "arazzo-runner${ARAZZO_RUNNER_VERSION:+==$ARAZZO_RUNNER_VERSION}" || return 1
  fi
  JENTIC=$venv/bin/arazzo-runner
  VERSION[jentic]="arazzo-runner $("$venv/bin/pip" show arazzo-runner | sed -n 's/^Version: //p'), $("$venv/bin/python" --version)"
}

install_rust_peer() { # install_rust_peer NAME URL LOCAL CRATE-DIR BIN
  local name=$1 url=$2 local_src=$3 crate=$4 bin=$5 src
  command -v cargo >/dev/null 2>&1 || { echo "cargo is missing"; return 1; }
  src=$(peer_src "$name" "$url" "$local_src") || return 1
  # Rebuilt (incrementally, in its own target dir) on every run, so a changed
  # checkout is picked up; nothing to do when it has not changed.
  (cd "$src" && nice -n 10 cargo install --locked --path "$crate" \
    --root "$BENCH_DIR/$name" --target-dir "$BENCH_DIR/cargo-target/$name") || return 1
  [[ -x $BENCH_DIR/$name/bin/$bin ]] || { echo "no $bin after cargo install"; return 1; }
  VERSION[$name]="$(git_desc "$src"), $("$BENCH_DIR/$name/bin/$bin" --version 2>/dev/null | head -n 1)"
}

install_peer() { # install_peer NAME: install, or record why not
  local name=$1 log=$BENCH_DIR/logs/$1-install.log status=0
  say "installing $name (log: $log)"
  case $name in
    respect) install_respect >"$log" 2>&1 || status=$? ;;
    jentic) install_jentic >"$log" 2>&1 || status=$? ;;
    strefethen)
      install_rust_peer strefethen "$STREFETHEN_GIT" "${STREFETHEN_SRC:-}" \
        crates/arazzo-cli arazzo-cli >"$log" 2>&1 || status=$? ;;
    roas)
      install_rust_peer roas "$ROAS_GIT" "${ROAS_SRC:-}" crates/roas-cli roas \
        >"$log" 2>&1 || status=$? ;;
  esac
  if ((status != 0)); then
    SKIPPED[$name]="install failed: $(tail -n 3 "$log" | tr '\n' ' ')"
    warn "skipping $name: ${SKIPPED[$name]}"
  fi
}

RESPECT="" JENTIC=""
for peer in respect jentic strefethen roas; do
  if wants "$peer"; then install_peer "$peer"; fi
done

# --- inputs and copies -------------------------------------------------------

PY=python3
if ! python3 -c 'import yaml' 2>/dev/null; then
  if [[ -x $BENCH_DIR/jentic/bin/python ]] && "$BENCH_DIR/jentic/bin/python" -c 'import yaml' 2>/dev/null; then
    PY=$BENCH_DIR/jentic/bin/python
  else
    die "python3 has no PyYAML (pip install pyyaml), needed to read $INPUTS_REL"
  fi
fi
INPUTS_JSON=$("$PY" -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$ROOT/$INPUTS_REL")
mapfile -t INPUT_PAIRS < <("$PY" -c '
import json, sys
for k, v in json.loads(sys.argv[1]).items():
    print(f"{k}={v if isinstance(v, str) else json.dumps(v)}")' "$INPUTS_JSON")

# --- the stand-in ------------------------------------------------------------

say "starting pipedream-sim"
"$PIPEDREAM_SIM" --port "$PORT" --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" \
  >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^pipedream-sim listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/sim.log")
  [[ -n $URL ]] && break
  kill -0 "$SIM_PID" 2>/dev/null || die "pipedream-sim exited: $(cat "$WORK/sim.log")"
  sleep 0.1
done
[[ -n $URL ]] || die "pipedream-sim did not start within 10 s"
curl -s -o /dev/null --max-time 5 "$URL/" || die "pipedream-sim does not answer on $URL"
say "stand-in on $URL"

# A token for the engines that cannot fetch one; valid for an hour.
TOKEN=$(curl -sS --max-time 5 -X POST -H 'content-type: application/json' \
  -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$CLIENT_ID\",\"client_secret\":\"$CLIENT_SECRET\"}" \
  "$URL/v1/oauth/token" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') \
  || die "could not get a token from the stand-in"

# Copy 1 (jentic, strefethen): the description with the server and token URL rewritten.
mkdir -p "$WORK/rewritten/arazzo" "$WORK/rewritten/openapi"
cp "$ROOT/$WORKFLOW_REL" "$WORK/rewritten/arazzo/flagship.yml"
sed "s#https://api\.pipedream\.com#$URL#g" "$ROOT/$OPENAPI_REL" >"$WORK/rewritten/openapi/pipedream-openapi.yml"
# Copy 2 (respect): the workflow with x-security on each step, the description unchanged.
mkdir -p "$WORK/respect/arazzo" "$WORK/respect/openapi"
cp "$ROOT/$OPENAPI_REL" "$WORK/respect/openapi/pipedream-openapi.yml"
sed "s#^    operationId: .*#&\n    x-security:\n    - schemeName: OAuth2\n      values:\n        accessToken: $TOKEN#" \
  "$ROOT/$WORKFLOW_REL" >"$WORK/respect/arazzo/flagship.yml"

export PIPEDREAM_OAUTH2_CLIENT_ID=$CLIENT_ID PIPEDREAM_OAUTH2_CLIENT_SECRET=$CLIENT_SECRET
# The warm-cache row uses this directory; the other passes --no-cache.
export ARAZZO_CACHE_DIR=$WORK/arazzo-cache
unset ARAZZO_NO_CACHE

NO_CACHE=(--no-cache)
if ! "$ARAZZO_RUN" run --help 2>/dev/null | grep -q -- '--no-cache'; then
  NO_CACHE=()
  NOTES+=("This arazzo-run does not accept --no-cache: the arazzo-run row ran without it")
fi
# The checkout's commit, "+changes" when its Rust sources differ from it.
if ROOT_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
  git -C "$ROOT" diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null || ROOT_COMMIT+="+changes"
else
  ROOT_COMMIT="checkout without git"
fi
VERSION[arazzo-run]="$ROOT_COMMIT, $("$ARAZZO_RUN" --version | head -n 1)"
VERSION[arazzo-run-cached]=${VERSION[arazzo-run]}

# --- the engines' commands ---------------------------------------------------

declare -A CMDS=()
CMD=() PATTERN=""
engine_cmd() { # engine_cmd NAME: set CMD to its command line, or return 1
  local i
  CMD=()
  case $1 in
    arazzo-run | arazzo-run-cached)
      CMD=("$ARAZZO_RUN" run "$ROOT/$WORKFLOW_REL" --inputs "$ROOT/$INPUTS_REL"
        --server "$SOURCE=$URL" --auth "OAuth2.client_id=$CLIENT_ID"
        --auth "OAuth2.client_secret=$CLIENT_SECRET")
      [[ $1 == arazzo-run ]] && CMD+=("${NO_CACHE[@]}")
      PATTERN='1 workflow succeeded' ;;
    respect)
      CMD=("$RESPECT" respect "$WORK/respect/arazzo/flagship.yml" --input "$INPUTS_JSON"
        --server "$SOURCE=$URL")
      PATTERN='Workflows: 1 passed, 1 total' ;;
    jentic)
      CMD=("$JENTIC" execute-workflow "$WORK/rewritten/arazzo/flagship.yml"
        --workflow-id "$WORKFLOW_ID" --inputs "$INPUTS_JSON")
      PATTERN='status=workflow_complete' ;;
    strefethen)
      CMD=("$BENCH_DIR/strefethen/bin/arazzo-cli" run "$WORK/rewritten/arazzo/flagship.yml" "$WORKFLOW_ID")
      for i in "${INPUT_PAIRS[@]}"; do CMD+=(-i "$i"); done
      CMD+=(-H "Authorization: Bearer $TOKEN")
      PATTERN='accountId: apn_' ;;
    roas)
      CMD=("$BENCH_DIR/roas/bin/roas" arazzo run "$ROOT/$WORKFLOW_REL" --workflow "$WORKFLOW_ID"
        --inputs "$ROOT/$INPUTS_REL" --source "$SOURCE=$ROOT/$OPENAPI_REL"
        --base-url "$SOURCE=$URL" --header "Authorization: Bearer $TOKEN")
      PATTERN='accountId: apn_' ;;
    *) return 1 ;;
  esac
}

# --- does each one work? -----------------------------------------------------

cd "$WORK"
OK=()
for name in $ENGINES; do
  if [[ -n ${SKIPPED[$name]:-} ]]; then continue; fi
  engine_cmd "$name" || { SKIPPED[$name]="unknown engine"; continue; }
  log=$WORK/check-$name.log
  status=0
  timeout 120 "${CMD[@]}" >"$log" 2>&1 </dev/null || status=$?
  if ((status == 0)) && grep -q -- "$PATTERN" "$log"; then
    say "$name: works"
    OK+=("$name")
    CMDS[$name]=$(quote_cmd "${CMD[@]}")
  else
    SKIPPED[$name]="failed (exit $status): $(grep -v '^\s*$' "$log" | tail -n 5 | tr '\n' ' ' | cut -c 1-400)"
    warn "$name ${SKIPPED[$name]}"
  fi
done
((${#OK[@]} > 0)) || die "no engine works"
if [[ " ${OK[*]} " == *" arazzo-run-cached "* ]] && [[ -z $(ls -A "$ARAZZO_CACHE_DIR" 2>/dev/null) ]]; then
  NOTES+=("ARAZZO_CACHE_DIR stayed empty: arazzo-run cached nothing for the flagship (descriptions under the cache's minimum size are parsed, not cached), so the warm-cache row did the same work as --no-cache")
fi

# --- timing ------------------------------------------------------------------

LOAD_START=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')
per_round=$(((RUNS + ROUNDS - 1) / ROUNDS))
((per_round >= 2)) || per_round=2
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${OK[@]}")
  if ((r % 2 == 0)); then
    order=()
    for ((i = ${#OK[@]} - 1; i >= 0; i--)); do order+=("${OK[i]}"); done
  fi
  args=()
  for name in "${order[@]}"; do args+=(--command-name "$name" "${CMDS[$name]}"); done
  say "round $r/$ROUNDS: ${order[*]}"
  hyperfine --shell=none --style basic --warmup "$WARMUP" --runs "$per_round" \
    --export-json "$WORK/round-$r.json" "${args[@]}" >&2
done

say "peak RSS over $RSS_RUNS runs each"
for name in "${OK[@]}"; do
  engine_cmd "$name"
  : >"$WORK/rss-$name.txt"
  for ((i = 0; i < RSS_RUNS; i++)); do
    /usr/bin/time -f %M -o "$WORK/rss.tmp" "${CMD[@]}" >/dev/null 2>&1 </dev/null
    tail -n 1 "$WORK/rss.tmp" >>"$WORK/rss-$name.txt"
  done
done

# --- the table ---------------------------------------------------------------

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
NOTES+=("Machine: $(nproc) CPUs (${CPU_MODEL:-unknown model}), load average $LOAD_START before timing, $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?') after; hyperfine $(hyperfine --version | cut -d ' ' -f 2), $ROUNDS rounds of $per_round runs after $WARMUP warm-up runs each")

{
  for name in "${OK[@]}"; do printf 'ok\t%s\t%s\n' "$name" "${VERSION[$name]:-?}"; done
  for name in $ENGINES; do
    if [[ -n ${SKIPPED[$name]:-} ]]; then printf 'skip\t%s\t%s\n' "$name" "${SKIPPED[$name]}"; fi
  done
  for note in "${NOTES[@]}"; do printf 'note\t%s\n' "$note"; done
} >"$WORK/engines.tsv"

"$PY" - "$WORK" "$ROUNDS" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
labels = {
    "arazzo-run": "arazzo-run --no-cache",
    "arazzo-run-cached": "arazzo-run, warm cache",
    "respect": "Redocly Respect",
    "jentic": "Jentic arazzo-runner",
    "strefethen": "strefethen/arazzo-cli",
    "roas": "roas (sv-tools)",
}
ok, skipped, notes, version = [], [], [], {}
for line in open(f"{work}/engines.tsv"):
    kind, *rest = line.rstrip("\n").split("\t")
    if kind == "ok":
        ok.append(rest[0]); version[rest[0]] = rest[1]
    elif kind == "skip":
        skipped.append(rest)
    else:
        notes.append(rest[0])
wall, cpu, runs = {}, {}, {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{work}/round-{r}.json"))["results"]:
        n = res["command"]
        wall.setdefault(n, []).extend(res["times"])
        k = len(res["times"])
        cpu.setdefault(n, []).append(((res["user"] + res["system"]) * k, k))
rss = {}
for n in ok:
    vals = [int(x) for x in open(f"{work}/rss-{n}.txt").read().split()]
    rss[n] = statistics.median(vals) / 1024 if vals else float("nan")
med = {n: statistics.median(wall[n]) * 1000 for n in ok}
q = {n: statistics.quantiles(wall[n], n=4) for n in ok}
cpu_ms = {n: sum(a for a, _ in cpu[n]) / sum(k for _, k in cpu[n]) * 1000 for n in ok}
def ratio(a, b):
    return f"{a / b:.2f}" if b else "–"
base_s = "strefethen" if "strefethen" in ok else None
base_a = "arazzo-run" if "arazzo-run" in ok else None
print()
print("| Engine | Version | Runs | Wall median (ms) | Wall IQR (ms) | User+sys CPU (ms) | Peak RSS (MiB) "
      "| Wall ÷ strefethen | Wall ÷ arazzo-run | CPU ÷ arazzo-run | RSS ÷ arazzo-run |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in ok:
    print(f"| {labels.get(n, n)} | {version[n]} | {len(wall[n])} | {med[n]:.1f} "
          f"| {q[n][0]*1000:.1f}–{q[n][2]*1000:.1f} | {cpu_ms[n]:.1f} | {rss[n]:.1f} "
          f"| {ratio(med[n], med[base_s]) if base_s else '–'} "
          f"| {ratio(med[n], med[base_a]) if base_a else '–'} "
          f"| {ratio(cpu_ms[n], cpu_ms[base_a]) if base_a else '–'} "
          f"| {ratio(rss[n], rss[base_a]) if base_a else '–'} |")
print()
for n, why in skipped:
    print(f"- {labels.get(n, n)}: not timed, {why}")
for note in notes:
    print(f"- {note}")
PY
