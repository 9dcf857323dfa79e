# shellcheck shell=bash
# A silo host started in the background by ops/run.sh or ops/join.sh: waiting for it to be ready, and stopping it.

# stop_silo PID [SCRIPT]: stops the silo process PID gracefully and waits for it, at most DTH_STOP_TIMEOUT seconds (45 by
# default), then kills it (SIGKILL), saying so, as a service manager would. SIGTERM, not SIGINT: a background job of a
# script starts with SIGINT ignored. .NET stops gracefully on TERM, within 20 s, except when the silo's database went
# away first (the platform stopped before a joined silo): Orleans then retries writing its status to the membership
# table for a minute per stage, over two minutes in all. A killed silo is declared dead by the others' missed probes.
stop_silo() {
  local pid="$1" script="${2:-ops}" bound="${DTH_STOP_TIMEOUT:-45}"
  kill -TERM "$pid" 2>/dev/null || true
  # A watcher kills the silo when the bound passes; it is stopped as soon as the silo has ended.
  (
    # Without the script's output, nor ops/run.sh's lock on its data folder (fd 9, see lock_data_folder): a sleep left
    # behind must hold neither open.
    sleep "$bound" </dev/null >/dev/null 2>&1 9>&-
    if kill -0 "$pid" 2>/dev/null; then
      echo "$script: the silo did not stop within $bound s (is its database gone?); killing it (SIGKILL). The other silos declare it dead after missed probes." >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  ) &
  local watcher=$!
  wait "$pid" 2>/dev/null || true
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
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
  stop_silo "$pid" "$script"
  return 1
}

# lock_data_folder SCRIPT DATA URL: makes this script the only ops/run.sh on the data folder DATA while it runs, or exits
# (status 2) saying which one is and how to stop it. Two platforms on one folder share its embedded PostgreSQL: the
# second one's silo cannot bind its ports, and as it ended it stopped the first one's database (and wait_ready took the
# first one's answers for its own). flock on DATA/.run.lock through file descriptor 9, released by the kernel when the
# script ends however it ends (kill -9 too), so a lock is never left behind; the holder writes its pid and URL there for
# the message. Background children that may outlive the script must close fd 9 (9>&-: the silo, stop_silo's watcher),
# or they would keep holding the lock.
lock_data_folder() {
  local script="$1" data="$2" url="$3" lock="$2/.run.lock" pid="" other=""
  mkdir -p "$data"
  # Appending: opening must not wipe the holder's pid and URL before the lock is known to be free.
  exec 9>>"$lock"
  if ! flock -n 9; then
    read -r pid other <"$lock" 2>/dev/null || true
    if [ -n "$pid" ]; then
      echo "$script: another ops/run.sh (pid $pid, $other) runs the platform on the data folder $data; stop it first (Ctrl-C in its terminal, or kill $pid), or start this one on another folder (DTH_DATA_DIR=...)." >&2
    else
      echo "$script: another ops/run.sh runs the platform on the data folder $data (it holds $lock); stop it first, or start this one on another folder (DTH_DATA_DIR=...)." >&2
    fi
    exit 2
  fi
  printf '%s %s\n' "$$" "$url" >"$lock"
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT (checked by connecting).
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port PORT: PORT, or the first port above it on 127.0.0.1 that nothing listens on (a second ops/join.sh finds the
# first one's ports taken). Checked by connecting, so a port could still be taken between this and the silo's start.
free_port() {
  local port="$1"
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

# platform_args: the silo arguments that make a joined silo validate the tokens the platform validates and use its
# membership timings, one per line, from the values of join.env (sourced before). An OIDC authority when the platform
# has one (its keys come from the authority's discovery document), otherwise the platform's signing key. A join.env
# written before these values existed gives the signing key and the standalone defaults.
platform_args() {
  if [ -n "${DTH_IDENTITY_AUTHORITY:-}" ]; then
    echo "--Dth:Identity:Authority=$DTH_IDENTITY_AUTHORITY"
  else
    echo "--Dth:Identity:SigningKeyPath=$DTH_SIGNING_KEY"
  fi
  [ -z "${DTH_IDENTITY_ISSUER:-}" ] || echo "--Dth:Identity:Issuer=$DTH_IDENTITY_ISSUER"
  [ -z "${DTH_IDENTITY_AUDIENCE:-}" ] || echo "--Dth:Identity:Audience=$DTH_IDENTITY_AUDIENCE"
  echo "--Dth:Membership=${DTH_MEMBERSHIP:-local}"
}

# silo_ended SCRIPT STATUS: says why a silo ended by itself, from its exit status, and returns that status. 134 is
# SIGABRT: Orleans stops a silo that way when the cluster has declared it dead (after a freeze, a pause or a network cut
# longer than the missed probes allow), and .NET on a fatal error; the log above says which.
silo_ended() {
  local script="$1" status="$2"
  case "$status" in
    0) ;;
    134) echo "$script: the silo aborted itself (SIGABRT). Orleans does that when the cluster has declared the silo dead (it was frozen, paused or cut off for longer than the missed probes allow: its log above then says 'I have been told I am dead'), and .NET on a fatal error. Start it again: it joins as a new silo." >&2 ;;
    137) echo "$script: the silo was killed (SIGKILL): out of memory, or by hand." >&2 ;;
    *) echo "$script: the silo exited with status $status; see its log above." >&2 ;;
  esac
  return "$status"
}

# stop_embedded_postgres SCRIPT DATA: stops the standalone platform's embedded PostgreSQL (DATA/postgres/pgdata) if it
# still runs: the silo stops it as it ends, but not when it was killed for not stopping in time. SIGINT is PostgreSQL's
# fast shutdown (open transactions roll back). Checked by name, since the pid in postmaster.pid may have been reused.
stop_embedded_postgres() {
  local script="$1" pidfile="$2/postgres/pgdata/postmaster.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(head -n 1 "$pidfile")"
  case "$pid" in ''|*[!0-9]*) return 0 ;; esac
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 0
  echo "$script: the silo left its embedded PostgreSQL running (pid $pid); stopping it."
  kill -INT "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  echo "$script: PostgreSQL (pid $pid) did not stop within 30 s; it is left running." >&2
}

# stop_on_exit: calls the script's stop() however it ends. Ctrl-C and kill are the way to stop a silo: status 0 (129 for
# a hangup); a failure under set -e keeps its own status. A second Ctrl-C during the stop ends the script at once.
stop_on_exit() {
  trap stop EXIT
  trap 'trap - INT TERM HUP; echo; stop; exit 0' INT TERM
  trap 'trap - INT TERM HUP; echo; stop; exit 129' HUP
}
