#!/usr/bin/env bash
# End-to-end in a real browser: headless Chromium (Debian) driven by playwright-core runs
# tests/browser/e2e.mjs against `stratus serve` with the offline sample scenes. Screenshots:
# tests/out/screenshots/.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
apt_install chromium
npm_tools

cargo build --quiet --bin stratus
start_stratus
trap stop_stratus EXIT
mkdir -p tests/out
"${STRATUS_BIN:-target/debug/stratus}" samples --size 1024 --data-dir "$STRATUS_DATA" \
  --bind "${STRATUS_URL#http://}" >tests/out/browser-samples.txt
rm -rf tests/out/screenshots
STRATUS_URL=$STRATUS_URL SAMPLES=tests/out/browser-samples.txt SCREENSHOTS=tests/out/screenshots \
  node tests/browser/e2e.mjs
