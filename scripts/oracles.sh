#!/usr/bin/env bash
# Installs the npm test oracles (HF tokenizers, the Qwen3 tokenizer.json, the OpenAI SDK,
# playwright-core driving Debian's chromium for the web-console tests) into
# tools/oracles/node_modules from the committed package-lock.json. Tests skip oracle checks (and
# say so) when this has not been run; scripts/test.sh always runs it.
set -euo pipefail
cd "$(dirname "$0")/../tools/oracles"
if [ -d node_modules/tokenizers ] && [ -d node_modules/openai ] && \
   [ -d node_modules/playwright-core ] && \
   [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
