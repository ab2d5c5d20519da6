#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit tests and
# the integration tests that start the real processes), through CTest.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MAILPIPE_BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}

"$ROOT/deploy/build.sh"
cd "$MAILPIPE_BUILD_DIR"
exec ctest --output-on-failure -j2 --timeout 600 "$@"
