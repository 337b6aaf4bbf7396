#!/usr/bin/env bash
# HTML conformance class: every resource answers `text/html` (browser Accept) with 200 and a
# page that html-validate (npm, offline) finds valid; the same URLs without Accept stay JSON.
# The embedded Leaflet copy is checked against the pinned npm package.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
apt_install jq curl
npm_tools
functions/api/assets/vendor.sh --check

cargo build --quiet --bin stratus
start_stratus
trap stop_stratus EXIT
bin=${STRATUS_BIN:-target/debug/stratus}
out=tests/out/html
rm -rf "$out" && mkdir -p "$out"

# Data for every page: sample scenes, a water-bodies job (through the CLI), an echo job, a
# failed job (its message quotes markup) and a dismissed one.
"$bin" samples --size 512 --data-dir "$STRATUS_DATA" --bind "${STRATUS_URL#http://}" >"$out/samples.txt"
args=()
while IFS=$'\t' read -r _ href aoi; do args+=(--input "stac_items=$href"); done <"$out/samples.txt"
aoi=$(head -1 "$out/samples.txt" | cut -f3 | cut -d= -f2)
"$bin" run water-bodies "${args[@]}" --input "aoi=$aoi" --server "$STRATUS_URL" --out "$out/wb" >/dev/null
"$bin" run echo --input stringInput=hello --server "$STRATUS_URL" >/dev/null
"$bin" run echo --input 'stringInput:={"href": "http://<b>x</b>/"}' --server "$STRATUS_URL" >/dev/null 2>&1 || true
jobs_json=$(curl -fsS "$STRATUS_URL/jobs?limit=100&status=successful,failed")
wb=$(jq -r '[.jobs[] | select(.processID=="water-bodies")][0].jobID' <<<"$jobs_json")
echo_job=$(jq -r '[.jobs[] | select(.processID=="echo" and .status=="successful")][0].jobID' <<<"$jobs_json")
failed=$(jq -r '[.jobs[] | select(.status=="failed")][0].jobID' <<<"$jobs_json")

paths=(/ /conformance /api /processes /processes/echo /processes/water-bodies
  "/jobs" "/jobs?status=failed&processID=echo&limit=1" "/jobs/$wb" "/jobs/$echo_job" "/jobs/$failed"
  "/jobs/$wb/results" "/jobs/$echo_job/results" /ingestion)
accept='text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
i=0
for p in "${paths[@]}"; do
  i=$((i + 1))
  file="$out/page-$(printf %02d $i).html"
  read -r code type < <(curl -sS -o "$file" -w '%{http_code} %{content_type}\n' -H "Accept: $accept" "$STRATUS_URL$p")
  [ "$code" = 200 ] || { echo "GET $p as HTML: $code" >&2; exit 1; }
  [[ $type == text/html* ]] || { echo "GET $p as HTML: $type" >&2; exit 1; }
  if [ "$p" != /ingestion ]; then # the dashboard is a page only
    json_type=$(curl -sS -o /dev/null -w '%{content_type}' "$STRATUS_URL$p")
    [[ $json_type != text/html* ]] || { echo "GET $p without Accept is HTML" >&2; exit 1; }
  fi
  echo "$p -> $(basename "$file")"
done
npx --no-install html-validate --config tests/html/htmlvalidate.json "$out"/page-*.html
echo "html: ${#paths[@]} pages valid ($(npx --no-install html-validate --version 2>/dev/null)), JSON unchanged without Accept"
