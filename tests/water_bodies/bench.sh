#!/usr/bin/env bash
# Water-bodies benchmark, side by side in one run: the Rust process (stratus-raster's example
# CLI, one process) vs the reference Python chain (tests/water_bodies/reference.py: crop green,
# crop nir, norm_diff, otsu, each a separate process writing its COG, as the CWL steps run),
# on a full 10980 x 10980 synthetic tile pair and on the dev AOI crop of it.
# Prints wall time and peak RSS (GNU time) of both; Python's are the sum of the step times and
# the largest step RSS. The Rust run is repeated 3 times and the median is reported (the machine
# may be shared); CPU time (user + sys) is printed too, as it varies less under load.
# Not a test: run by hand, takes ~5 minutes on 2 cores.
#
#   tests/water_bodies/bench.sh [SIZE]     # SIZE defaults to 10980
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZE=${1:-10980}
PY=.venv/bin/python
OUT=tests/out/water_bodies_bench
mkdir -p "$OUT"
# WATER_BODIES_CLI=path skips the build (e.g. while another build holds the target dir).
if [ -z "${WATER_BODIES_CLI:-}" ]; then
  cargo build --release -p stratus-raster --example water_bodies_cli
fi
CLI=${WATER_BODIES_CLI:-${CARGO_TARGET_DIR:-target}/release/examples/water_bodies_cli}
ITEM="$OUT/scene/SYN_$SIZE.json"
[ -f "$ITEM" ] || "$CLI" sample "$OUT/scene" "SYN_$SIZE" "$SIZE" 42 >/dev/null

# measure OUTFILE CMD...: appends "wall_s max_rss_kib cpu_s" of CMD to OUTFILE
measure() {
  local out=$1
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$out.t" "$@" >/dev/null
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$out.t" >>"$out"
}

row() { # FILE -> "sum_wall max_rss_mib sum_cpu"
  awk '{w += $1; c += $3; if ($2 > m) m = $2} END {printf "%.2f %.0f %.2f\n", w, m / 1024, c}' "$1"
}

median() { # FILE -> its median line (by wall time)
  sort -n "$1" | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'
}

bench_case() { # LABEL AOI EPSG
  local label=$1 aoi=$2 epsg=$3 dir="$OUT/$1"
  rm -rf "$dir"
  mkdir -p "$dir/python"
  for _ in 1 2 3; do measure "$dir/rust.runs" "$CLI" run "$ITEM" "$aoi" "$epsg" "$dir/rust"; done
  median "$dir/rust.runs" >"$dir/rust.times"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py crop "$ITEM" green "$aoi" "$epsg" "$dir/python/crop_green.tif"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py crop "$ITEM" nir "$aoi" "$epsg" "$dir/python/crop_nir.tif"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py norm-diff "$dir/python/crop_green.tif" "$dir/python/crop_nir.tif" "$dir/python/norm_diff.tif"
  measure "$dir/python.times" "$PY" tests/water_bodies/reference.py otsu "$dir/python/norm_diff.tif" "$dir/python/otsu.tif"
  "$PY" tests/water_bodies/compare.py "$dir/rust" "$dir/python" "$label"
  read -r rw rm rc < <(row "$dir/rust.times")
  read -r pw pm pc < <(row "$dir/python.times")
  printf '%-18s rust %6.2f s (cpu %5.2f s) %5s MiB | python %6.2f s (cpu %6.2f s) %5s MiB | %5.1fx faster, %.2fx memory\n' \
    "$label" "$rw" "$rc" "$rm" "$pw" "$pc" "$pm" "$(echo "$pw / $rw" | bc -l)" "$(echo "$rm / $pm" | bc -l)" | tee -a "$OUT/summary.txt"
  awk '{printf "    rust run %d: %s s, cpu %s s, %.0f MiB\n", NR, $1, $3, $2 / 1024}' "$dir/rust.runs"
  awk '{printf "    python step %d: %s s, cpu %s s, %.0f MiB\n", NR, $1, $3, $2 / 1024}' "$dir/python.times"
}

: >"$OUT/summary.txt"
echo "cores: $(nproc), load $(cut -d" " -f1-3 /proc/loadavg), scene ${SIZE}x${SIZE} uint16 Deflate COGs (1024 px tiles)"
bench_case "full-tile" "590000,4380000,720000,4510000" EPSG:32610
bench_case "dev-aoi" "-121.399,39.834,-120.74,40.472" EPSG:4326
