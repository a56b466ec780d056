#!/usr/bin/env bash
# Main job: installs dependencies, builds (incrementally; a no-op when up to date), then runs
# `haloguard ARGS...` (e.g. `scripts/run.sh serve`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >&2
exec "$root/${HG_BUILD_DIR:-build}/haloguard" "$@"
