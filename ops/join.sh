#!/usr/bin/env bash
# Joins one more silo to the standalone platform that ops/run.sh runs on this machine: a partner institution's silo
# (by default bsc, role hpc) in the same cluster, on the same database, validating the same tokens (the platform's OIDC
# authority or signing key) with the same membership timings. How to reach the platform is read from join.env in its
# data folder, which the platform writes at start and removes at stop.
# Ctrl-C stops this silo; the platform goes on.
#
#   ops/join.sh [--institution ID] [--role data|hpc] [extra silo arguments, e.g. --Dth:Runs:MaxShardsInFlight=4]
#
# Environment (all optional):
#   DTH_DATA_DIR           the platform's data folder, as for ops/run.sh
#   DTH_JOIN_HTTP_PORT     this silo's HTTP port on 127.0.0.1; default 5081, or the next free one
#   DTH_JOIN_SILO_PORT     its silo-to-silo port; default 11112, or the next free one
#   DTH_JOIN_GATEWAY_PORT  its gateway port; default 30001, or the next free one
#   DTH_NO_BUILD           set to 1 to skip the build (the binaries must exist)
#   DTH_STOP_TIMEOUT       seconds Ctrl-C waits for the silo to stop before it kills it; default 45
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/prerequisites.sh
source ops/lib/prerequisites.sh
# shellcheck source=lib/silo.sh
source ops/lib/silo.sh
# shellcheck source=lib/build.sh
source ops/lib/build.sh
ensure_dotnet ops/join.sh
ensure_tools ops/join.sh

institution=bsc
role=hpc
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --institution) institution="${2:?--institution needs an id, e.g. --institution bsc}"; shift 2 ;;
    --role) role="${2:?--role needs data or hpc}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
case "$role" in
  data|hpc) ;;
  *) echo "ops/join.sh: --role must be data or hpc, not '$role'." >&2; exit 2 ;;
esac

# The same default as ops/run.sh's.
if [ "$(id -u)" -eq 0 ]; then default_data=/var/lib/dthgrains; else default_data="${XDG_DATA_HOME:-$HOME/.local/share}/dthgrains"; fi
data="${DTH_DATA_DIR:-$default_data}"
file="$data/join.env"
if [ ! -f "$file" ]; then
  echo "ops/join.sh: $file is missing: start the platform first with ops/run.sh (with the same DTH_DATA_DIR, if you set one)." >&2
  exit 2
fi
# shellcheck disable=SC1090
source "$file"
if ! curl -fsS "$DTH_URL/health/ready" >/dev/null 2>&1; then
  echo "ops/join.sh: the platform at $DTH_URL does not answer ready (stopped, or still starting?); start or wait for ops/run.sh, then try again." >&2
  exit 2
fi

if [ "${DTH_NO_BUILD:-0}" != "1" ]; then
  echo "ops/join.sh: building (Release)..."
  build_release ops/join.sh src/DthGrains.Silo/DthGrains.Silo.csproj
fi

# Ports given are used as they are; defaults move up past ports in use, so a second partner's silo can join too.
http_port="${DTH_JOIN_HTTP_PORT:-$(free_port 5081)}"
silo_port="${DTH_JOIN_SILO_PORT:-$(free_port 11112)}"
gateway_port="${DTH_JOIN_GATEWAY_PORT:-$(free_port 30001)}"
url="http://127.0.0.1:$http_port"
silo_bin="src/DthGrains.Silo/bin/Release/net10.0/DthGrains.Silo.dll"
# The platform's token validation (its OIDC authority or its signing key) and membership timings.
mapfile -t platform < <(platform_args)

# Stops this silo once, however the script ends: Ctrl-C, kill, a closed terminal, or a command failing under set -e.
silo=""
stopped=0
stop() {
  [ "$stopped" = 0 ] || return 0
  stopped=1
  if [ -n "$silo" ] && kill -0 "$silo" 2>/dev/null; then
    echo "ops/join.sh: stopping the $institution silo (the platform goes on)..."
    stop_silo "$silo" ops/join.sh
  fi
}
stop_on_exit

# A trial on one machine: the institution's payload database is derived on the platform's server, as the platform's own
# institutions' are (a real partner names its own, --Dth:PayloadDatabases:<institution>=...). The connection string
# holds the database's password: in the silo's environment, which only its user can read, not on
# its command line, which every local user can.
ConnectionStrings__Federation="$DTH_CONNECTION_STRING" dotnet "$silo_bin" --profile institution \
  --Dth:ClusterId="$DTH_CLUSTER_ID" --Dth:ServiceId="$DTH_SERVICE_ID" \
  --Dth:Institution="$institution" --Dth:Role="$role" \
  --Dth:SiloPort="$silo_port" --Dth:GatewayPort="$gateway_port" \
  --Dth:DataDirectory="$data/silos/$institution-$role" "${platform[@]}" \
  --Dth:DerivePayloadDatabases=true \
  --Urls="$url" ${extra[@]+"${extra[@]}"} &
silo=$!

wait_ready ops/join.sh "$silo" "$url" " (a port in use? set DTH_JOIN_*_PORT)" || exit 1

cat <<TXT

ops/join.sh: a silo of $institution (role $role) joined cluster $DTH_CLUSTER_ID at $url.
  Its silos:  dotnet src/DthGrains.Cli/bin/Release/net10.0/dth.dll cluster silos --url $DTH_URL   (platform-admin token)
  Runs now prefer it for their shards when its role is hpc.

Ctrl-C stops this silo; the platform goes on.
TXT
status=0
wait "$silo" || status=$?
silo_ended ops/join.sh "$status"
