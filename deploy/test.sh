#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit tests and
# the integration tests that start the real processes), through CTest.
# The main gate: the programs built as shipped (RelWithDebInfo) and the
# integration tests against them; when it passes, two stages for hostile
# input run:
#
#   fuzz  the libFuzzer targets of tests/fuzz, built with clang into
#         build-fuzz/, each for MAILPIPE_FUZZ_SECONDS (10) from a copy of
#         its committed seeds (tests/fuzz/run.sh, tests/fuzz/README.md);
#   asan  the programs and the unit tests built with gcc's ASan and UBSan
#         (MAILPIPE_SANITIZE) into build-asan/, and every CTest test run
#         against it, the unit tests included (in one process; they are
#         built and run only here, which keeps the whole script inside
#         CI's 20 minutes on two cores); a sanitizer report from any
#         process (the unit tests, msa, mta, mda started by the
#         integration tests) fails the stage and is printed.
#
# build-fuzz/ and build-asan/ sit next to $MAILPIPE_BUILD_DIR (build/).
# Arguments go to both CTest runs (e.g. -R spine). Both extra stages run
# even when the other fails; the script then exits non-zero. Each stage's
# time is printed at the end.
#
# MAILPIPE_QUICK=1 skips the fuzz and asan stages and runs the unit tests
# in the main build instead (for developers; CI runs everything).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MAILPIPE_BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}
BESIDE=$(dirname "$MAILPIPE_BUILD_DIR")
export MAILPIPE_FUZZ_DIR=${MAILPIPE_FUZZ_DIR:-$BESIDE/build-fuzz}
ASAN_DIR=${MAILPIPE_ASAN_DIR:-$BESIDE/build-asan}
JOBS=${MAILPIPE_JOBS:-2}

timings=()
# CPU seconds (user + system) used so far by the finished children of this
# shell: beside the wall time, it shows how much a busy machine slowed a
# stage down.
children_cpu() {
  local stat
  read -r stat </proc/$$/stat
  set -- ${stat##*) }  # from field 3 on: cutime and cstime are 16 and 17
  echo $(((${14} + ${15}) / $(getconf CLK_TCK)))
}
# timed NAME COMMAND...: runs it, records how long it took and whether it
# passed, and returns its status.
timed() {
  local name=$1 start=$SECONDS cpu status=0
  cpu=$(children_cpu)
  shift
  "$@" || status=$?
  timings+=("$(printf '%-12s %5d s  (cpu %5d s)  %s' "$name" $((SECONDS - start)) $(($(children_cpu) - cpu)) \
    "$( ((status == 0)) && echo ok || echo "FAILED ($status)")")")
  return "$status"
}
print_timings() {
  echo "test.sh: stage times"
  printf '  %s\n' "${timings[@]}"
  local line failed=0
  for line in "${timings[@]}"; do [[ $line == *FAILED* ]] && failed=$((failed + 1)); done
  echo "stages: $((${#timings[@]} - failed)) passed, $failed failed"
}

QUICK=${MAILPIPE_QUICK:-0}
# What the main build makes: the programs, plus the unit tests when quick.
MAIN_TARGETS=(msa mta mda mailpipectl mpmail mailpipe-loadgen)
((QUICK == 1)) && MAIN_TARGETS=()  # all

main_ctest() {
  local only=()
  ((QUICK == 1)) || only=(-R '^integration[.]')
  (cd "$MAILPIPE_BUILD_DIR" && ctest --output-on-failure -j2 --timeout 600 "${only[@]}" "$@")
}

# -O0: compiles in half the time of -O1 with the sanitizers, and the tests
# are bound by I/O and timers, not by CPU. -g1: line tables, all a
# sanitizer report needs for file:line at -O0 (nothing is inlined), and
# 7-17% less compile time than -g.
# What CTest runs, not the load generator (no test uses it; the main
# build has already compiled it).
ASAN_TARGETS=(msa mta mda mailpipectl mpmail unit_tests)
asan_build() {
  cmake -S "$ROOT" -B "$ASAN_DIR" -DMAILPIPE_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" >/dev/null &&
    cmake --build "$ASAN_DIR" -j"$JOBS" --target "${ASAN_TARGETS[@]}"
}

# Every process the tests start inherits these. Reports go to files, not to
# stderr, because the integration tests keep a process's output only in a
# temporary directory: after CTest, any file there is a finding.
asan_ctest() {
  local reports=$ASAN_DIR/sanitizer-reports status=0
  rm -rf "$reports"
  mkdir -p "$reports"
  chmod 1777 "$reports"  # tests run the MDA as nobody too
  local common="log_path=$reports/report:log_exe_name=1:print_stacktrace=1:halt_on_error=1"
  local lsan=""
  [[ -f $ROOT/tests/lsan.supp ]] && lsan="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
  (cd "$ASAN_DIR" &&
    ASAN_OPTIONS="$common:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0" \
      UBSAN_OPTIONS="$common" LSAN_OPTIONS="$lsan" \
      ctest --output-on-failure -j2 --timeout 600 "$@") || status=$?
  local found=("$reports"/*)
  if [[ -e ${found[0]} ]]; then
    echo "asan: ${#found[@]} sanitizer report(s) in $reports:" >&2
    local report
    for report in "${found[@]:0:5}"; do
      echo "--- $(basename "$report")" >&2
      head -60 "$report" >&2
    done
    if ((${#found[@]} > 5)); then echo "asan: ... and $((${#found[@]} - 5)) more in $reports" >&2; fi
    status=1
  fi
  return "$status"
}

timed build "$ROOT/deploy/build.sh" "${MAIN_TARGETS[@]}" || { print_timings; exit 1; }
main_status=0
timed ctest main_ctest "$@" || main_status=$?
if ((main_status != 0)) || ((QUICK == 1)); then
  print_timings
  exit "$main_status"
fi

failed=0
timed fuzz "$ROOT/tests/fuzz/run.sh" || failed=1
if timed asan-build asan_build; then
  timed asan-ctest asan_ctest "$@" || failed=1
else
  failed=1
fi
print_timings
exit "$failed"
