#!/usr/bin/env bash
# Water-bodies benchmark, side by side in one run: the Rust process (stratus-raster's example
# CLI, one process) vs the reference Python chain (tests/water_bodies/reference.py: crop green,
# crop nir, norm_diff, otsu, each a separate process writing its COG, as the CWL steps run),
# on a full 10980 x 10980 synthetic tile pair and on the dev AOI crop of it.
# Prints wall time and peak RSS (GNU time) of both; Python's are the sum of the step times and
# the largest step RSS. Not a test: run by hand, takes ~5 minutes on 2 cores.
#
#   tests/water_bodies/bench.sh [SIZE]     # SIZE defaults to 10980
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZE=${1:-10980}
PY=.venv/bin/python
OUT=tests/out/water_bodies_bench
mkdir -p "$OUT"
cargo build --release -p stratus-raster --example water_bodies_cli
CLI=${CARGO_TARGET_DIR:-target}/release/examples/water_bodies_cli
ITEM="$OUT/scene/SYN_$SIZE.json"
[ -f "$ITEM" ] || "$CLI" sample "$OUT/scene" "SYN_$SIZE" "$SIZE" 42 >/dev/null

# measure OUTFILE CMD...: appends "wall_s max_rss_kib" of CMD to OUTFILE
measure() {
  local out=$1
  shift
  /usr/bin/time -f "%e %M" -o "$out.t" "$@" >/dev/null
  cat "$out.t" >>"$out"
}

row() { # LABEL FILE -> "sum_wall max_rss_mib"
  awk -v l="$1" '{w += $1; if ($2 > m) m = $2} END {printf "%s %.2f %.0f\n", l, w, m / 1024}' "$2"
}

bench_case() { # LABEL AOI EPSG
  local label=$1 aoi=$2 epsg=$3 dir="$OUT/$1"
  rm -rf "$dir"
  mkdir -p "$dir/python"
  measure "$dir/rust.times" "$CLI" run "$ITEM" "$aoi" "$epsg" "$dir/rust"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py crop "$ITEM" green "$aoi" "$epsg" "$dir/python/crop_green.tif"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py crop "$ITEM" nir "$aoi" "$epsg" "$dir/python/crop_nir.tif"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py norm-diff "$dir/python/crop_green.tif" "$dir/python/crop_nir.tif" "$dir/python/norm_diff.tif"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py otsu "$dir/python/norm_diff.tif" "$dir/python/otsu.tif"
  "$PY" tests/water_bodies/compare.py "$dir/rust" "$dir/python" "$label"
  read -r _ rw rm < <(row rust "$dir/rust.times")
  read -r _ pw pm < <(row python "$dir/python.times")
  printf '%-28s rust %7.2f s %6s MiB | python %7.2f s %6s MiB | %5.1fx faster, %.2fx memory\n' \
    "$label" "$rw" "$rm" "$pw" "$pm" "$(echo "$pw / $rw" | bc -l)" "$(echo "$rm / $pm" | bc -l)" | tee -a "$OUT/summary.txt"
  awk '{printf "    python step %d: %s s, %.0f MiB\n", NR, $1, $2 / 1024}' "$dir/python.times"
}

: >"$OUT/summary.txt"
echo "cores: $(nproc), scene ${SIZE}x${SIZE} uint16 Deflate COGs (1024 px tiles)"
bench_case "full-tile-$SIZE" "590000,4380000,720000,4510000" EPSG:32610
bench_case "dev-aoi" "-121.399,39.834,-120.74,40.472" EPSG:4326
