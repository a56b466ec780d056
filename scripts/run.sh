#!/usr/bin/env bash
# Main job: installs dependencies, builds (once), then runs `haloguard ARGS...`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
if [ ! -x "$root/${HG_BUILD_DIR:-build}/haloguard" ] || [ -n "${HG_REBUILD:-}" ]; then
  "$root/scripts/build.sh" >&2
fi
exec "$root/${HG_BUILD_DIR:-build}/haloguard" "$@"
