#!/usr/bin/env bash
# Copies the map library the pages embed (Leaflet, pinned in the root package.json) from
# node_modules into functions/api/assets/vendor/, where `include_bytes!` picks it up.
# `--check` compares instead of copying (the html test stage runs it after `npm ci`), so the
# committed copy is always exactly the pinned npm package's dist files.
set -euo pipefail
cd "$(dirname "$0")/../../.."
src=node_modules/leaflet
dst=functions/api/assets/vendor/leaflet
files=(dist/leaflet.js dist/leaflet.css dist/images/layers.png dist/images/layers-2x.png
       dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png LICENSE)
[ -f "$src/package.json" ] || { echo "run npm ci first (no $src)" >&2; exit 1; }
if [ "${1:-}" = "--check" ]; then
  for f in "${files[@]}"; do
    cmp -s "$src/$f" "$dst/${f#dist/}" || { echo "$dst/${f#dist/} differs from $src/$f; run $0" >&2; exit 1; }
  done
  echo "vendored leaflet $(node -p "require('./$src/package.json').version") matches node_modules"
  exit 0
fi
mkdir -p "$dst/images"
for f in "${files[@]}"; do
  cp "$src/$f" "$dst/${f#dist/}"
done
echo "copied leaflet $(node -p "require('./$src/package.json').version") into $dst"
