#!/usr/bin/env bash
# The test command (README, .ci/run): installs what it needs, builds, runs every CTest suite.
# HG_TEST_LABELS / HG_TEST_EXCLUDE select CTest labels (default: everything but 'slow').
# Then the sanitizer stage (scripts/test_sanitized.sh, ~6 min on 2 cores); HG_TEST_SANITIZE=0 skips it.
# Then the fuzz stage (scripts/test_fuzz.sh, ~15 s per libFuzzer target, ~3.5 min for six); HG_TEST_FUZZ=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
scripts/setup.sh
scripts/oracles.sh
HG_WERROR="${HG_WERROR:-ON}"
scripts/build.sh -DHG_WERROR="$HG_WERROR"
cd "${HG_BUILD_DIR:-build}"
args=(--output-on-failure -j "$(nproc)")
if [ -n "${HG_TEST_LABELS:-}" ]; then args+=(-L "$HG_TEST_LABELS"); fi
args+=(-LE "${HG_TEST_EXCLUDE:-slow}")
rc=0
ctest "${args[@]}" --output-junit ctest-junit.xml || rc=$?
# CTest's summary lists skipped tests without their reasons; print them.
python3 "$root/scripts/skipped_tests.py" ctest-junit.xml
if [ "$rc" != 0 ]; then exit "$rc"; fi
cd ..
if [ "${HG_TEST_SANITIZE:-1}" != 0 ]; then scripts/test_sanitized.sh; fi
if [ "${HG_TEST_FUZZ:-1}" != 0 ]; then scripts/test_fuzz.sh; fi
