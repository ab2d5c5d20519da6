#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build-fuzz/
# (next to $MAILPIPE_BUILD_DIR) and runs each one for a bounded time from a
# temporary copy of its committed seeds (corpus/<name>/ stays as it is).
#
#   tests/fuzz/run.sh                 # every target, 20 s each, two at a time
#   tests/fuzz/run.sh command auth    # only these
#
# Environment: MAILPIPE_FUZZ_SECONDS (10) per target, MAILPIPE_FUZZ_DIR
# (build dir), MAILPIPE_JOBS (2) targets at once, MAILPIPE_FUZZ_CXX
# (clang++-14). Exits non-zero when a target crashed, leaked, hit a
# sanitizer or broke an invariant (FUZZ_CHECK); the input that did it is
# kept in $MAILPIPE_FUZZ_DIR/crashes/ and printed, with the command that
# replays it. See README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}
FUZZ_DIR=${MAILPIPE_FUZZ_DIR:-$(dirname "$BUILD_DIR")/build-fuzz}
SECONDS_EACH=${MAILPIPE_FUZZ_SECONDS:-10}
JOBS=${MAILPIPE_JOBS:-2}
CXX=${MAILPIPE_FUZZ_CXX:-clang++-14}

cmake -S "$ROOT/tests/fuzz" -B "$FUZZ_DIR" -DCMAKE_CXX_COMPILER="$CXX" >/dev/null
cmake --build "$FUZZ_DIR" -j"$JOBS"

targets=("$@")
if ((${#targets[@]} == 0)); then
  for source in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$source" .cpp)
    targets+=("${name#fuzz_}")
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mailpipe-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
crashes=$FUZZ_DIR/crashes
mkdir -p "$crashes"

# One target: fuzz a copy of its seeds; libFuzzer writes the input of a
# finding as crashes/<name>-crash-<sha1> (or -leak-, -timeout-, -oom-).
fuzz_one() {
  local name=$1
  mkdir -p "$work/$name"
  cp "$ROOT/tests/fuzz/corpus/$name"/* "$work/$name/"
  (cd "$work" && TMPDIR="$work" "$FUZZ_DIR/fuzz_$name" \
    -max_total_time="$SECONDS_EACH" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$crashes/$name-" "$work/$name" >"$work/$name.log" 2>&1)
}

report() {
  local name=$1 status=$2 log=$work/$1.log
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((status == 0)); then
    echo "fuzz: $name ok, ${runs:-?} runs in ${SECONDS_EACH} s, corpus $(ls "$work/$name" | wc -l) inputs"
    return 0
  fi
  echo "fuzz: $name FAILED (exit $status); libFuzzer said:" >&2
  grep -v -E '^(#[0-9]+|INFO:|stat::|MS:|Done )' "$log" | head -80 >&2 || true
  local input
  input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [[ -n $input && -f $input ]]; then
    echo "fuzz: the input, kept as $input:" >&2
    od -A d -c "$input" | head -20 >&2
    echo "fuzz: replay it with: $FUZZ_DIR/fuzz_$name $input" >&2
  fi
  return 1
}

failed=()
declare -A pids
for name in "${targets[@]}"; do
  if [[ ! -x $FUZZ_DIR/fuzz_$name ]]; then
    echo "fuzz: no target $name (tests/fuzz/fuzz_$name.cpp)" >&2
    exit 2
  fi
  # At most $JOBS at once: the machine has that many cores.
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  fuzz_one "$name" &
  pids[$name]=$!
done
for name in "${targets[@]}"; do
  status=0
  wait "${pids[$name]}" || status=$?
  report "$name" "$status" || failed+=("$name")
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $crashes)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${SECONDS_EACH} s each without a finding"
