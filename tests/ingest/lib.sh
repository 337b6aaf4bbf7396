#!/usr/bin/env bash
# Helpers of the ingestion stages: a real STAC API (stac-fastapi-pgstac on a throwaway
# PostgreSQL + PostGIS cluster) loaded with the offline fixtures of tests/ingest/fixtures.py,
# and the asset server the fixtures link to. Source after tests/lib.sh, from the repo root.

# Installs PostgreSQL + PostGIS (Debian) and the STAC API venv (.venv-stac).
stac_tools() {
  apt_install postgresql postgresql-15-postgis-3
  [ -x .venv-stac/bin/python ] || python3 -m venv .venv-stac
  local want have
  want=$(sha256sum tests/ingest/requirements.txt | cut -d' ' -f1)
  have=$(cat .venv-stac/.requirements.sha256 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    .venv-stac/bin/pip install --quiet --upgrade pip
    .venv-stac/bin/pip install --quiet -r tests/ingest/requirements.txt
    echo "$want" > .venv-stac/.requirements.sha256
  fi
}

_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts the asset server, PostgreSQL, the STAC API, and loads the fixtures. Sets
# STRATUS_TEST_STAC_URL, STRATUS_TEST_ASSETS_URL, STRATUS_TEST_FIXTURES and STAC_PIDS; logs to
# $1 (a new directory).
start_stac_fixtures() {
  local dir=$1 bin pgport apiport assetport
  rm -rf "$dir"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  STAC_DIR=$dir
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgport=$(free_port); apiport=$(free_port); assetport=$(free_port)
  export STRATUS_TEST_ASSETS_URL="http://127.0.0.1:$assetport"
  export STRATUS_TEST_STAC_URL="http://127.0.0.1:$apiport"
  export STRATUS_TEST_FIXTURES="$dir/assets"
  mkdir -p "$dir/assets" "$dir/pg"
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir/pg"
  python3 tests/ingest/asset_server.py "$dir/assets" "$assetport" >"$dir/assets.log" 2>&1 &
  STAC_PIDS="$!"
  _as_postgres "$bin/initdb" -D "$dir/pg/data" -A trust -U stac >"$dir/initdb.log" 2>&1
  _as_postgres "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/pg.log" -w \
    -o "-p $pgport -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null
  STAC_PG="$bin/pg_ctl -D $dir/pg/data"
  PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=stac psql -q -d postgres -c "create database stac" >/dev/null
  PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=stac PGDATABASE=stac .venv-stac/bin/pypgstac migrate >/dev/null
  PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=stac PGPASSWORD=unused PGDATABASE=stac \
    ENABLE_TRANSACTIONS_EXTENSIONS=true STAC_FASTAPI_TITLE="Stratus test catalogue" \
    STAC_FASTAPI_DESCRIPTION="offline fixtures" STAC_FASTAPI_LANDING_ID=stratus-test \
    STAC_FASTAPI_VERSION=1 .venv-stac/bin/uvicorn stac_fastapi.pgstac.app:create_app --factory \
    --host 127.0.0.1 --port "$apiport" >"$dir/stac-api.log" 2>&1 &
  STAC_PIDS="$STAC_PIDS $!"
  for _ in $(seq 1 300); do
    curl -fsS "$STRATUS_TEST_STAC_URL/" >/dev/null 2>&1 && curl -fsS "$STRATUS_TEST_ASSETS_URL/_health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "$STRATUS_TEST_STAC_URL/" >/dev/null || { tail -20 "$dir/stac-api.log" >&2; return 1; }
  "${STRATUS_BIN:-target/debug/stratus}" samples --size 256 --data-dir "$dir/samples" >/dev/null
  python3 tests/ingest/fixtures.py "$dir/samples/objects" "$dir/assets" \
    "$STRATUS_TEST_ASSETS_URL" "$STRATUS_TEST_STAC_URL"
}

# Stops what start_stac_fixtures started.
stop_stac_fixtures() {
  # shellcheck disable=SC2086
  [ -z "${STAC_PIDS:-}" ] || kill $STAC_PIDS 2>/dev/null || true
  [ -z "${STAC_PG:-}" ] || _as_postgres $STAC_PG -m fast stop >/dev/null 2>&1 || true
}
