#!/usr/bin/env bash
# The first big run after a silo starts, with and without the numerics warm-up (Dth:Runs:NumericsWarmUp), on the
# standalone platform started by ops/run.sh: each round starts a fresh platform, waits until it is ready and 12 s more
# (the warm-up takes 10 s), submits a 5,000-patient Hovorka cohort trial and reads its submitted-to-completed time.
# Usage: ops/bench-first-run.sh [rounds] (default 2). Prints both times per round and the ratio of the best of each.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-2}"
port="${DTH_HTTP_PORT:-5090}"
url="http://127.0.0.1:$port"
dth=(dotnet src/DthGrains.Cli/bin/Release/net10.0/dth.dll)

# shellcheck source=lib/build.sh
source ops/lib/build.sh
build_release ops/bench-first-run.sh src/DthGrains.Silo/DthGrains.Silo.csproj src/DthGrains.Cli/DthGrains.Cli.csproj

# Milliseconds from submission to completion of the first 5,000-patient run on a fresh platform with warm-up $1.
first_run_ms() {
  local warmup=$1 folder
  folder="$(mktemp -d "${TMPDIR:-/tmp}/dth-first-run.XXXXXX")"
  # The embedded PostgreSQL runs as an unprivileged user when this runs as root: it must be able to enter the folder.
  chmod 755 "$folder"
  DTH_NO_BUILD=1 DTH_DATA_DIR="$folder/data" DTH_HTTP_PORT="$port" ops/run.sh --Dth:Runs:NumericsWarmUp="$warmup" \
    --Dth:SiloPort=11191 --Dth:GatewayPort=30091 --Dth:ClusterId="first-run-$$" >"$folder/run.log" 2>&1 &
  local platform=$!
  local ready=0
  for _ in $(seq 1 180); do
    if curl -sf "$url/health/ready" >/dev/null; then ready=1; break; fi
    kill -0 "$platform" 2>/dev/null || break
    sleep 1
  done
  if [ "$ready" -ne 1 ]; then
    echo "ops/bench-first-run.sh: the platform did not get ready; its log:" >&2
    tail -20 "$folder/run.log" >&2
    kill "$platform" 2>/dev/null || true
    exit 1
  fi
  sleep 12
  local token id doc
  token="$("${dth[@]}" token --key "$folder/data/identity/signing-key.pem" --role researcher --institution tum)"
  id="$(curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"kind":"cohort-trial","model":"hovorka","size":5000,"seed":7,"duration":1440}' "$url/api/runs" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')"
  for _ in $(seq 1 600); do
    doc="$(curl -sf -H "Authorization: Bearer $token" "$url/api/runs/$id")"
    grep -q '"status":"completed"' <<<"$doc" && break
    sleep 0.2
  done
  kill "$platform"
  wait "$platform" 2>/dev/null || true
  rm -rf "$folder" 2>/dev/null || true
  python3 -c 'import sys, json, datetime
d = json.loads(sys.argv[1]); t = datetime.datetime.fromisoformat
print(round((t(d["completedAt"]) - t(d["submittedAt"])).total_seconds() * 1000))' "$doc"
}

without=(); with=()
for r in $(seq 1 "$rounds"); do
  without+=("$(first_run_ms 00:00:00)")
  with+=("$(first_run_ms 00:00:10)")
  echo "round $r: first 5,000-patient run without warm-up ${without[-1]} ms, with ${with[-1]} ms"
done
best() { printf '%s\n' "$@" | sort -n | head -1; }
echo "first run without warm-up: $(best "${without[@]}") ms (best)"
echo "first run with a 10 s warm-up: $(best "${with[@]}") ms (best)"
python3 -c "import sys; print(f'ratio first run without vs with warm-up: {int(sys.argv[1]) / int(sys.argv[2]):.2f} (information)')" "$(best "${without[@]}")" "$(best "${with[@]}")"
