# shellcheck shell=bash
# A silo host started in the background by ops/run.sh or ops/join.sh: waiting for it to be ready, and stopping it.

# Stops the silo process $1 gracefully and waits for it. SIGTERM, not SIGINT: a background job of a script starts with
# SIGINT ignored. .NET stops gracefully on TERM.
stop_silo() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# wait_ready SCRIPT PID URL [HINT]: waits up to 120 s for URL/health/ready while the silo PID runs. When the silo exits
# first or the time passes, says so (prefixed with SCRIPT; HINT is added to the first message), stops the silo and
# returns 1.
wait_ready() {
  local script="$1" pid="$2" url="$3" hint="${4:-}"
  echo "$script: waiting for $url/health/ready ..."
  for _ in $(seq 1 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || true
      echo "$script: the silo exited before it became ready; see its log above$hint." >&2
      return 1
    fi
    if curl -fsS "$url/health/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$script: the silo did not become ready within 120 s." >&2
  stop_silo "$pid"
  return 1
}

# free_port PORT: PORT, or the first port above it on 127.0.0.1 that nothing listens on (a second ops/join.sh finds the
# first one's ports taken). Checked by connecting, so a port could still be taken between this and the silo's start.
free_port() {
  local port="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}
