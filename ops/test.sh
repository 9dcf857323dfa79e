#!/usr/bin/env bash
# Runs every DthGrains test against a real PostgreSQL and real Orleans silos that the tests start
# themselves. Installs what is missing first (PostgreSQL server binaries), then runs
# `dotnet test DthGrains.sln -c Release` and ends with one line summing all test projects:
#   N passed, N failed, N skipped
# The exit code is dotnet test's.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo" || exit 1

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

have_postgres_binaries() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    return 0
  fi
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      return 0
    fi
  done
  return 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "ops/test.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

if ! command -v dotnet >/dev/null 2>&1; then
  echo "ops/test.sh: the .NET SDK was not found. Install the .NET 10 SDK (version pinned in global.json; for example the dotnet-sdk-10.0 package or Microsoft's dotnet-install script), make sure 'dotnet' is on PATH, and run ops/test.sh again." >&2
  exit 1
fi

if ! have_postgres_binaries; then
  echo "ops/test.sh: PostgreSQL server binaries (initdb, pg_ctl) not found; installing the postgresql package."
  # The tests run their own private servers: keep the package from creating and starting a system
  # cluster on port 5432 that nothing here uses.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    as_root mkdir -p /etc/postgresql-common &&
      echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }; then
    echo "ops/test.sh: could not install PostgreSQL. Install the server binaries yourself (apt-get install -y postgresql) and run ops/test.sh again." >&2
    exit 1
  fi
  if ! have_postgres_binaries; then
    echo "ops/test.sh: postgresql is installed but initdb/pg_ctl are still not found on PATH or under /usr/lib/postgresql/*/bin." >&2
    exit 1
  fi
fi

log="$(mktemp "${TMPDIR:-/tmp}/dthgrains-test.XXXXXX.log")"
trap 'rm -f "$log"' EXIT

# -tl:off keeps the classic per-project summary lines that are summed below. A test that hangs is
# stopped after 15 minutes (no dump), so one hang cannot eat the whole CI budget.
dotnet test DthGrains.sln -c Release -tl:off --blame-hang-timeout 15m --blame-hang-dump-type none 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Per test project: "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, ..." (or "Failed!  - ...").
totals="$(sed -nE 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+), +Skipped: +([0-9]+), +Total: +([0-9]+).*/\2 \3 \4/p' "$log" |
  awk '{ failed += $1; passed += $2; skipped += $3; projects += 1 }
       END { printf "%d %d %d %d\n", passed, failed, skipped, projects }')"
read -r passed failed skipped projects <<<"$totals"

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "ops/test.sh: dotnet test exited with $status although no test failed (a build error, or a test host that crashed or hung); see above." >&2
fi
echo "ops/test.sh: $projects test project(s) reported; dotnet test exit code $status."
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
