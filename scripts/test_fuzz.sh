#!/usr/bin/env bash
# The fuzz stage (scripts/test.sh; HG_TEST_FUZZ=0 skips it): builds each libFuzzer target in
# tests/fuzz/ with clang-14 + ASan/UBSan and runs it from its committed seed corpus for
# HG_FUZZ_SECONDS (default 20) seconds; any crash, leak, sanitizer report or timeout fails.
# Longer local runs: HG_FUZZ_SECONDS=600 scripts/test_fuzz.sh [target ...]. docs/SECURITY.md
# says how to reproduce a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
CXX="${HG_FUZZ_CXX:-clang++-14}"
SECONDS_EACH="${HG_FUZZ_SECONDS:-20}"
OUT="${HG_FUZZ_BUILD_DIR:-build-fuzz}"
mkdir -p "$OUT"
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -Isrc
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)

# target name -> the sources it needs besides its harness
declare -A SOURCES=(
  [http_parser]="src/server/http_parser.cc"
)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${!SOURCES[@]}"); fi

for t in "${targets[@]}"; do
  echo "== fuzz $t: build"
  # shellcheck disable=SC2086
  "$CXX" "${FLAGS[@]}" "tests/fuzz/${t}_fuzz.cc" ${SOURCES[$t]} -o "$OUT/${t}_fuzz"
  work="$OUT/corpus/$t"  # new inputs land here, never in the committed seeds
  mkdir -p "$work"
  echo "== fuzz $t: ${SECONDS_EACH}s"
  (cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     "./${t}_fuzz" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
     -max_len=65536 -print_final_stats=1 "corpus/$t" "../tests/fuzz/corpus/$t")
done
echo "== fuzz: all targets clean"
