#!/usr/bin/env bash
# Installs the Debian 12 packages HaloGuard builds and tests with (idempotent; needs root or sudo).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config ccache git curl ca-certificates libicu-dev
  nlohmann-json3-dev libcpp-httplib-dev libcurl4-openssl-dev libhiredis-dev libutf8proc-dev
  libssl-dev libgtest-dev libgmock-dev
  python3 python3-numpy python3-jinja2 redis-server
  librsvg2-bin zlib1g-dev unicode-data
  clang-14 libclang-rt-14-dev  # libFuzzer + ASan/UBSan for scripts/test_fuzz.sh
  chromium  # headless, driven by npm playwright-core in the web-console tests (tests/ui)
  nginx-light  # reverse proxy in front of the guard proxy mode (tests/proxy/nginx_e2e.mjs)
)
# Node.js + npm run the test oracles; a machine may already have a newer Node.js (which bundles
# npm and conflicts with Debian's npm package), so Debian's are installed only when absent.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
