#!/usr/bin/env bash
# Runs every DthGrains test against a real PostgreSQL and real Orleans silos that the tests start
# themselves. Installs what is missing first (PostgreSQL server binaries), then runs
# `dotnet test DthGrains.sln -c Release` and ends with one line summing all test projects:
#   N passed, N failed, N skipped
# The exit code is dotnet test's. Arguments go to dotnet test, e.g. to run some tests while working on them:
#   ops/test.sh --filter "FullyQualifiedName~Lineage"
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo" || exit 1

# shellcheck source=lib/prerequisites.sh
source ops/lib/prerequisites.sh
ensure_dotnet ops/test.sh
ensure_postgres ops/test.sh
ensure_tools ops/test.sh
ensure_python ops/test.sh

log="$(mktemp "${TMPDIR:-/tmp}/dthgrains-test.XXXXXX.log")"
# Test hosts keep the errors they log here; printed below when a test fails.
DTH_TEST_LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dthgrains-test-hosts.XXXXXX")"
export DTH_TEST_LOG_DIR
# Kept when a test failed (keep_logs=1 below), so the exceptions behind it can be read whole afterwards.
keep_logs=0
trap 'rm -f "$log"; [ "$keep_logs" = 1 ] || rm -rf "$DTH_TEST_LOG_DIR"' EXIT

# -tl:off keeps the classic per-project summary lines that are summed below. A test that hangs is
# stopped after 15 minutes (no dump), so one hang cannot eat the whole CI budget.
dotnet test DthGrains.sln -c Release -tl:off --blame-hang-timeout 15m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Per test project: "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, ..." (or "Failed!  - ...").
totals="$(sed -nE 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+), +Skipped: +([0-9]+), +Total: +([0-9]+).*/\2 \3 \4/p' "$log" |
  awk '{ failed += $1; passed += $2; skipped += $3; projects += 1 }
       END { printf "%d %d %d %d\n", passed, failed, skipped, projects }')"
read -r passed failed skipped projects <<<"$totals"

if [ "$failed" -ne 0 ] && compgen -G "$DTH_TEST_LOG_DIR/*.log" >/dev/null; then
  # One line per error of every host, in time order: a failed test's cause is often among them, and a tail of the
  # files one after the other could cut it off. The files, with each exception whole, stay for reading.
  keep_logs=1
  echo "ops/test.sh: errors the test hosts logged, in time order, one line each (whole, with their exceptions, in $DTH_TEST_LOG_DIR):"
  grep -h -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} (ERR|FTL|WRN)' "$DTH_TEST_LOG_DIR"/*.log | sort | cut -c1-300 | tail -n 150
fi
if [ "$failed" -ne 0 ]; then
  # Last, just above the totals: a CI that shows only the end of the output still names the failed tests and why.
  echo "ops/test.sh: the failed tests, each with the start of its message (stack traces above):"
  awk '/^ +Failed [A-Za-z_]/ { show = 1; n = 0; print; next }
       show && /^ +(Stack Trace|Standard Output Messages):/ { show = 0; next }
       show && /^ +(Passed|Skipped|Failed)!? / { show = 0; next }
       show && n < 12 { print substr($0, 1, 300); n++ }' "$log"
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "ops/test.sh: dotnet test exited with $status although no test failed (a build error, or a test host that crashed or hung); see above." >&2
fi
echo "ops/test.sh: $projects test project(s) reported; dotnet test exit code $status."
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
