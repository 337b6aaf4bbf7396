#!/usr/bin/env bash
# Helpers of the AWS test stages: tool venvs, an emulator, the API Gateway shim.
# Source after tests/lib.sh, from the repository root.

# Dummy credentials and region for the emulator; never real ones.
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export SAM_CLI_TELEMETRY=0 SAM_CLI_CONTACT_TRACKING=0

# Creates or updates a venv from a requirements file, only when the file changed.
_venv() {
  local dir=$1 req=$2
  [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
  local want have
  want=$(sha256sum "$req" | cut -d' ' -f1)
  have=$(cat "$dir/.requirements.sha256" 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    "$dir/bin/pip" install --quiet --upgrade pip
    "$dir/bin/pip" install --quiet -r "$req"
    echo "$want" > "$dir/.requirements.sha256"
  fi
}

# The AWS tools: .venv-aws (SAM CLI, cfn-lint, cargo-lambda, zig), .venv-ministack, npm packages.
aws_tools() {
  _venv .venv-aws tests/aws/requirements.txt
  _venv .venv-ministack tests/aws/requirements-ministack.txt
  local want have
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  have=$(cat node_modules/.package-lock.sha256 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.package-lock.sha256
  fi
  export PATH="$PWD/.venv-aws/bin:$PATH"
}

# Starts MiniStack on a free loopback port; sets AWS_ENDPOINT_URL and MINISTACK_PID and logs to
# $1 (default target/aws-test/ministack.log). Functions it runs inherit AWS_ENDPOINT_URL.
start_ministack() {
  local log=${1:-target/aws-test/ministack.log} port
  mkdir -p "$(dirname "$log")"
  port=$(free_port)
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL BIND_HOST=127.0.0.1 MINISTACK_HOST=127.0.0.1 \
    GATEWAY_PORT=$port .venv-ministack/bin/ministack >"$log" 2>&1 &
  MINISTACK_PID=$!
  for _ in $(seq 1 200); do
    curl -fsS "$AWS_ENDPOINT_URL/_ministack/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "MiniStack did not start:" >&2
  tail -20 "$log" >&2
  return 1
}

# Starts the API Gateway shim for stack $1 on a free port; sets SHIM_URL and SHIM_PID.
start_shim() {
  local stack=$1 log=${2:-target/aws-test/shim.log} port
  port=$(free_port)
  SHIM_URL="http://127.0.0.1:$port"
  .venv-aws/bin/python tests/aws/apigw_shim.py infra/template.yaml "$stack" "$port" >"$log" 2>&1 &
  SHIM_PID=$!
  for _ in $(seq 1 200); do
    curl -fsS "$SHIM_URL/_shim/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the API Gateway shim did not start:" >&2
  tail -20 "$log" >&2
  return 1
}
