#!/usr/bin/env bash
# OGC API - Processes Part 1 against the official OpenAPI bundle (tests/ogc/), with
# schemathesis: no server errors and no response that violates the bundle's schemas, on every
# Part 1 operation (the Part 2 deploy/replace/undeploy/package operations are excluded here).
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh

cargo build --quiet --bin stratus
start_stratus
trap stop_stratus EXIT

# Jobs for the stateful and id-based operations: a successful one and a failed one. The
# successful one returns an array: in the 1.0 bundle, `inputValueNoObject` is a oneOf of
# `{type: string}` and `{type: string, format: byte}`, so no string (and no integer, which is
# also a number) can ever validate as a result value, bare or qualified (a known defect).
ok=$(curl -fsS -X POST "$STRATUS_URL/processes/echo/execution" -H 'Content-Type: application/json' \
  -H 'Prefer: respond-async' \
  -d '{"inputs": {"stringInput": "x", "arrayInput": [1, 2, 3]}, "outputs": {"arrayInput": {}}, "response": "document"}' \
  | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["jobID"])')
curl -fsS -X POST "$STRATUS_URL/processes/echo/execution" -H 'Content-Type: application/json' \
  -H 'Prefer: respond-async' -d '{"inputs": {"stringInput": {"href": "http://127.0.0.1:9/none"}}}' >/dev/null
sleep 1

part1=(
  tests/ogc/ogcapi-processes.bundled.json --url "$STRATUS_URL"
  --checks not_a_server_error,response_schema_conformance
  --exclude-path /api/processes-list
  --exclude-operation-id deploy --exclude-operation-id replace
  --exclude-operation-id undeploy --exclude-operation-id getPackage
  --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" --seed 20261122 --workers 2
)
.venv/bin/schemathesis run "${part1[@]}"

# Again with the id of a real, successful job, so status and results are validated for real.
config=$(mktemp --suffix .toml)
printf '[parameters]\njobID = "%s"\nprocessID = "echo"\n' "$ok" >"$config"
.venv/bin/schemathesis --config-file "$config" run "${part1[@]}" \
  --include-operation-id getStatus --include-operation-id getResult \
  --include-operation-id getProcessDescription --include-operation-id execute
echo "schemathesis: Part 1 operations clean"
