#!/usr/bin/env bash
# The sanitizer stage of scripts/test.sh: rebuilds the tests of the code that takes untrusted
# input (HTTP parser and routes, JSON, UTF-8 and tokenizer, checkpoint loader, hub, monitor jobs,
# command-line flags) and the whole guard pipeline with ASan + UBSan in ./build-asan, and runs
# them; any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${HG_ASAN_BUILD_DIR:-build-asan}"
targets=(core_test model_test tokenizer_unit_test hub_unit_test server_unit_test server_routes_test
         server_malformed_test server_stream_test monitor_unit_test guard_e2e_test guard_prompt_test cli_flags_test
         lora_config_test lora_test state_pool_test)
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DHG_SANITIZE=ON -DHG_WERROR=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache || true)" >/dev/null
cmake --build "$BUILD_DIR" -j "${HG_JOBS:-$(nproc)}" --target "${targets[@]}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Each target is one gtest binary; run them directly (CTest here would also list the tests of
# targets this stage does not build).
for t in "${targets[@]}"; do
  bin=$(find "$BUILD_DIR" -name "$t" -type f -perm -u+x | head -n 1)
  [ -n "$bin" ] || { echo "test_sanitized: $t was not built" >&2; exit 1; }
  echo "== $t (ASan + UBSan)"
  "$bin" --gtest_brief=1
done
