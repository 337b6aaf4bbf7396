#!/usr/bin/env bash
# API benchmark (not a test): Stratus's local engine (release build) and pygeoapi 0.21 (the peer
# named by issue 2: its hello-world process, gunicorn with 2 workers, TinyDB job manager) on
# this machine, side by side, measured with wrk:
#   - GET /jobs/{id}                      requests/s, p50, p99
#   - POST async execution (echo / hello-world)   requests/s, p50, p99
#   - GET /jobs?limit=50 with BENCH_JOBS jobs in Stratus's store (default 100000); pygeoapi
#     with the jobs its own submission run created (TinyDB rewrites its file on every write).
# Client and servers share the machine's cores; figures go into the README.
set -euo pipefail
cd "$(dirname "$0")/../.."
export STRATUS_ROOT=$PWD
source tests/lib.sh

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
JOBS=${BENCH_JOBS:-100000}
CONNS=${BENCH_CONNECTIONS:-32}

apt_install wrk curl
if [ ! -x .venv-pygeoapi/bin/gunicorn ]; then
  python3 -m venv .venv-pygeoapi
  .venv-pygeoapi/bin/pip install --quiet 'pygeoapi==0.21.0' 'gunicorn==23.0.0'
fi
cargo build --release --quiet --bin stratus

work=$(mktemp -d)
cleanup() { kill "${STRATUS_PID:-}" "${PG_PID:-}" 2>/dev/null || true; }
trap cleanup EXIT

post_script() { # body -> lua file for an async POST
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "respond-async"
LUA
  echo "$work/post.lua"
}

# wrk URL [script] -> "req/s p50 p99" (latencies in ms)
measure() {
  local url=$1 script=${2:-}
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency ${script:+-s "$script"} "$url")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "wrk saw errors for $url:" >&2
    grep "Non-2xx" <<<"$out" >&2
  fi
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

to_ms() { # wrk prints 1.23ms, 456.00us, 1.2s
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else print v }'
}

count_jobs() { # data dir -> "total accepted"
  python3 - "$1/stratus.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
total = db.execute("select count(*) from jobs").fetchone()[0]
waiting = db.execute("select count(*) from jobs where status in ('accepted','running')").fetchone()[0]
print(total, waiting)
PY
}

echo "== Stratus $(target/release/stratus --version | awk '{print $2}') (local engine, release)"
STRATUS_BIN=target/release/stratus start_stratus
job=$(curl -fsS -X POST "$STRATUS_URL/processes/echo/execution" -H 'Content-Type: application/json' \
  -H 'Prefer: respond-async' -d '{"inputs": {"stringInput": "bench"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobID"])')
sleep 0.5
read -r s_get_rps s_get_p50 s_get_p99 < <(measure "$STRATUS_URL/jobs/$job")
script=$(post_script '{"inputs": {"stringInput": "bench"}}')
read -r s_post_rps s_post_p50 s_post_p99 < <(measure "$STRATUS_URL/processes/echo/execution" "$script")

# Fill the store to JOBS jobs through the API, then let the executor finish them.
while :; do
  read -r total waiting < <(count_jobs "$STRATUS_DATA")
  [ "$total" -ge "$JOBS" ] && break
  wrk -t2 -c"$CONNS" -d5s -s "$script" "$STRATUS_URL/processes/echo/execution" >/dev/null
done
while :; do
  read -r total waiting < <(count_jobs "$STRATUS_DATA")
  [ "$waiting" -eq 0 ] && break
  sleep 1
done
read -r s_list_rps s_list_p50 s_list_p99 < <(measure "$STRATUS_URL/jobs?limit=50")
read -r s_flist_rps s_flist_p50 s_flist_p99 < <(measure "$STRATUS_URL/jobs?processID=echo&status=successful&status=failed&limit=50")
s_jobs=$total
s_rss=$(ps -o rss= -p "$STRATUS_PID" | awk '{printf "%.0f", $1/1024}')
kill "$STRATUS_PID"; STRATUS_PID=

echo "== pygeoapi 0.21.0 (gunicorn -w 2, TinyDB)"
pg_port=$(free_port)
export PYGEOAPI_URL="http://127.0.0.1:$pg_port" PYGEOAPI_JOBS="$work/pygeoapi-jobs.db"
export PYGEOAPI_CONFIG=tests/bench/pygeoapi-config.yml PYGEOAPI_OPENAPI="$work/pygeoapi-openapi.yml"
.venv-pygeoapi/bin/pygeoapi openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >/dev/null
.venv-pygeoapi/bin/gunicorn -w 2 -b "127.0.0.1:$pg_port" pygeoapi.flask_app:APP >"$work/pygeoapi.log" 2>&1 &
PG_PID=$!
for _ in $(seq 1 100); do curl -fsS "$PYGEOAPI_URL/" >/dev/null 2>&1 && break; sleep 0.1; done
location=$(curl -fsS -D - -o /dev/null -X POST "$PYGEOAPI_URL/processes/hello-world/execution" \
  -H 'Content-Type: application/json' -H 'Prefer: respond-async' -d '{"inputs": {"name": "bench"}}' \
  | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
sleep 0.5
read -r p_get_rps p_get_p50 p_get_p99 < <(measure "$location?f=json")
script=$(post_script '{"inputs": {"name": "bench"}}')
read -r p_post_rps p_post_p50 p_post_p99 < <(measure "$PYGEOAPI_URL/processes/hello-world/execution" "$script")
p_jobs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("_default", {})))' "$PYGEOAPI_JOBS")
read -r p_list_rps p_list_p50 p_list_p99 < <(measure "$PYGEOAPI_URL/jobs?f=json&limit=50")

cat <<EOF2

| Measure ($(nproc) cores, wrk -t2 -c$CONNS, ${SECONDS_PER_RUN}s) | Stratus req/s | p50 ms | p99 ms | pygeoapi req/s | p50 ms | p99 ms |
|---|---|---|---|---|---|---|
| GET /jobs/{id} | $s_get_rps | $s_get_p50 | $s_get_p99 | $p_get_rps | $p_get_p50 | $p_get_p99 |
| POST execution, async | $s_post_rps | $s_post_p50 | $s_post_p99 | $p_post_rps | $p_post_p50 | $p_post_p99 |
| GET /jobs?limit=50 (Stratus: $s_jobs jobs; pygeoapi: $p_jobs) | $s_list_rps | $s_list_p50 | $s_list_p99 | $p_list_rps | $p_list_p50 | $p_list_p99 |
| GET /jobs?processID&status x2&limit=50 ($s_jobs jobs) | $s_flist_rps | $s_flist_p50 | $s_flist_p99 | - | - | - |

Stratus RSS after $s_jobs jobs: ${s_rss} MiB. Status throughput ratio: $(awk -v a="$s_get_rps" -v b="$p_get_rps" 'BEGIN {printf "%.0fx", a/b}').
EOF2
