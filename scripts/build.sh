#!/usr/bin/env bash
# Configures and builds HaloGuard in ./build (Release). Extra args go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${HG_BUILD_DIR:-build}"
JOBS="${HG_JOBS:-$(nproc)}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${HG_BUILD_TYPE:-Release}" \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
