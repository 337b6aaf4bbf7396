#!/usr/bin/env bash
# Shared helpers of the test stages.

# Installs Debian packages that are missing (as root, or through sudo).
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The npm packages of package-lock.json (npm ci), reinstalled only when the lock file changed.
npm_tools() {
  local want have
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  have=$(cat node_modules/.package-lock.sha256 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.package-lock.sha256
  fi
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts `stratus serve` in the background on a free port with a fresh data dir; sets
# STRATUS_URL, STRATUS_PID and STRATUS_DATA. Extra arguments go to `serve`.
start_stratus() {
  local bin=${STRATUS_BIN:-target/debug/stratus}
  local port
  port=$(free_port)
  STRATUS_DATA=$(mktemp -d)
  STRATUS_URL="http://127.0.0.1:$port"
  "$bin" serve --bind "127.0.0.1:$port" --data-dir "$STRATUS_DATA" "$@" >"$STRATUS_DATA/server.log" 2>&1 &
  STRATUS_PID=$!
  for _ in $(seq 1 200); do
    curl -fsS "$STRATUS_URL/" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "stratus did not start:" >&2
  cat "$STRATUS_DATA/server.log" >&2
  return 1
}

# Stops the server of start_stratus and removes its data dir; when the stage failed, shows the
# end of the server's log first. Meant for `trap stop_stratus EXIT`.
stop_stratus() {
  local rc=$?
  kill "${STRATUS_PID:-}" 2>/dev/null || true
  wait "${STRATUS_PID:-}" 2>/dev/null || true
  if [ -n "${STRATUS_DATA:-}" ] && [ -d "$STRATUS_DATA" ]; then
    if [ "$rc" -ne 0 ] && [ -f "$STRATUS_DATA/server.log" ]; then
      echo "server log (last 40 lines):" >&2
      tail -40 "$STRATUS_DATA/server.log" >&2
    fi
    rm -rf "$STRATUS_DATA"
  fi
}
