#!/usr/bin/env bash
# Ingestion scale benchmark (not a timed test).
#
#   local: 10,000 tiles in one AOI (200 scenes x 50 tiles, chained date after date) with Pass
#          graphs through `stratus ingest --tiles` on the local engine (release build): the
#          ingestion itself (records, scenes, tiles), then every scene and tile task; tiles/s,
#          bookkeeping per tile, peak memory (GNU time).
#   aws:   1,000 tiles (100 scenes x 10 tiles) posted to /catalog/aoi of the stack deployed into
#          MiniStack (API Gateway shim, Lambda authorizer, ingestion state machine: Distributed
#          Map over the scene manifest, chains in inline loops, DynamoDB conditional claims);
#          time until every tile is DONE.
#
# Usage: tests/bench/ingest.sh [local|aws|all]   (default all). Figures go to
# tests/out/ingest_bench/results.md and stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
export STRATUS_ROOT=$PWD
source tests/lib.sh
what=${1:-all}
OUT=tests/out/ingest_bench
mkdir -p "$OUT"
TARGET=${CARGO_TARGET_DIR:-target}

bench_local() {
  apt_install time
  cargo build --quiet --release --bin stratus
  local dir bin
  dir=$(mktemp -d)
  bin="$dir/stratus"
  cp "$TARGET/release/stratus" "$bin"
  python3 tests/bench/ingest_fixture.py 200 50 Bench10k "$dir/in"
  /usr/bin/time -v "$bin" ingest "$dir/in/payload.json" --tiles "$dir/in/tiles.json" \
    --data-dir "$dir/data" --progress plain >"$dir/summary.txt" 2>"$dir/run.log"
  local ingest_s run_s rss tiles
  ingest_s=$(grep -o 'in progress ([^)]*)' "$dir/run.log" | head -1 | tr -d '()' | awk '{print $3}')
  run_s=$(grep -o 'ran in [0-9.]*s' "$dir/run.log" | awk '{print $3}' | tr -d 's')
  rss=$(grep 'Maximum resident set size' "$dir/run.log" | awk '{print $NF}')
  tiles=$(grep -A3 '^Tiles:' "$dir/summary.txt" | grep 'done' | awk '{print $2}')
  [ "$tiles" = 10000 ] || { cat "$dir/summary.txt" "$dir/run.log" >&2; return 1; }
  {
    echo "### Local engine: 10,000 tiles (200 scenes x 50 chained tiles, Pass graphs)"
    echo
    echo "| Step | Time | Rate |"
    echo "|---|---|---|"
    echo "| ingestion (records, 200 scenes, 10,000 tiles with links) | $ingest_s | |"
    awk -v s="$run_s" 'BEGIN { printf "| every scene and tile task, from the command to the summary | %.2f s | %.0f tiles/s, %.3f ms per tile |\n", s, 10000 / s, s * 1000 / 10000 }'
    echo "| peak memory (RSS) | $((rss / 1024)) MiB | |"
    echo
  } | tee "$OUT/local.md"
  rm -rf "$dir"
}

bench_aws() {
  source tests/aws/lib.sh
  aws_tools
  local stack=stratus-bench out=target/aws-bench token=bench
  mkdir -p "$out"
  cargo build --quiet -p stratus-aws --bins
  .venv-aws/bin/python tests/aws/build_template.py infra/template.yaml "$out/lambda" "$TARGET/debug"
  start_ministack "$out/ministack.log"
  SHIM_PID=
  trap 'kill ${MINISTACK_PID:-} ${SHIM_PID:-} 2>/dev/null || true' RETURN
  .venv-aws/bin/python -c 'import boto3; boto3.client("s3").create_bucket(Bucket="sam-artifacts")'
  sam deploy --template-file "$out/lambda/template.yaml" --stack-name "$stack" \
    --s3-bucket sam-artifacts --capabilities CAPABILITY_IAM --no-confirm-changeset \
    --no-fail-on-empty-changeset --config-env none \
    --parameter-overrides Architecture=x86_64 "ApiTokens=$token" >"$out/sam-deploy.log" 2>&1 \
    || { tail -40 "$out/sam-deploy.log" >&2; return 1; }
  start_shim "$stack" "$out/shim.log"
  python3 tests/bench/ingest_fixture.py 100 10 Bench1k "$out/in"
  local t0 t1 posted
  t0=$(date +%s.%N)
  posted=$(curl -fsS -H "Authorization: Bearer $token" -F "area=@$out/in/payload.json" \
    -F "tiles=@$out/in/tiles.json" "$SHIM_URL/catalog/aoi")
  echo "$posted"
  while :; do
    summary=$(curl -fsS -H "Authorization: Bearer $token" "$SHIM_URL/aoi/Bench1k")
    done_tiles=$(echo "$summary" | sed -n '/^Tiles:/,/Total/p' | awk '/done:/ {print $2}')
    [ "$done_tiles" = 1000 ] && break
    sleep 2
  done
  t1=$(date +%s.%N)
  {
    echo "### AWS engine in MiniStack: 1,000 tiles (100 scenes x 10 chained tiles, Pass graphs)"
    echo
    echo "| Step | Time | Rate |"
    echo "|---|---|---|"
    echo "| POST /catalog/aoi (ingestion + dispatch through the shim and authorizer) | $(echo "$posted" | grep -o '([^)]*)' | tr -d '()') | |"
    awk -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; printf "| every scene and tile DONE (state machine, Lambdas, DynamoDB) | %.1f s | %.1f tiles/s |\n", s, 1000 / s }'
    echo
  } | tee "$OUT/aws.md"
}

case "$what" in
  local) bench_local ;;
  aws) bench_aws ;;
  all) bench_local; bench_aws ;;
  *) echo "usage: $0 [local|aws|all]" >&2; exit 2 ;;
esac
cat "$OUT"/*.md > "$OUT/results.md"
