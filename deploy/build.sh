#!/usr/bin/env bash
# Installs what is missing, then builds mailpipe into $MAILPIPE_BUILD_DIR
# (default: build/ in the repository). Two jobs: CI has two cores.
# Arguments: CMake targets to build (default: all).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}

"$ROOT/deploy/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${MAILPIPE_BUILD_TYPE:-RelWithDebInfo} >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$BUILD_DIR" -j"${MAILPIPE_JOBS:-2}" "${targets[@]}"
