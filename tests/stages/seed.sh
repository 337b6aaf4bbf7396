#!/usr/bin/env bash
# Seed 000's notebook session (tests/water_bodies/seed_session.py: requests + pystac) against
# `stratus serve` on the offline sample scenes; every otsu.tif the server publishes passes
# `rio cogeo validate --strict` and GDAL's COG validator.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh

GDAL_VALIDATE=/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py
cargo build --quiet --release --bin stratus
export STRATUS_BIN=target/release/stratus
start_stratus
trap stop_stratus EXIT

mapfile -t lines < <("$STRATUS_BIN" samples --size 2048 --data-dir "$STRATUS_DATA" --public-url "$STRATUS_URL")
items=()
for line in "${lines[@]}"; do
  IFS=$'\t' read -r _id url aoi <<<"$line"
  items+=("$url")
done
aoi=${aoi#aoi=}
out=tests/out/seed
rm -rf "$out"
.venv/bin/python tests/water_bodies/seed_session.py "$STRATUS_URL" "$out" --aoi="$aoi" "${items[@]}"
for tif in "$out"/*.tif; do
  .venv/bin/rio cogeo validate --strict "$tif"
  /usr/bin/python3 "$GDAL_VALIDATE" --full-check=yes "$tif"
done
