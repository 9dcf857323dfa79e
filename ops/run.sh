#!/usr/bin/env bash
# Starts the DthGrains platform in its standalone profile: one silo co-hosting the HTTP API, with an
# embedded PostgreSQL it starts itself, and a demo federation seeded on the first start. Prints the URLs
# and a ready-to-use token for each demo role. Ctrl-C stops the silo, then PostgreSQL.
#
# Environment (all optional):
#   DTH_DATA_DIR   data folder (embedded PostgreSQL, signing key); default /var/lib/dthgrains as root,
#                  else ~/.local/share/dthgrains
#   DTH_HTTP_PORT  HTTP port on 127.0.0.1; default 5080
#   DTH_NO_BUILD   set to 1 to skip the build (the binaries must exist)
#   DTH_STOP_TIMEOUT  seconds Ctrl-C waits for the silo to stop before it kills it; default 45
# Extra arguments go to the silo, e.g. --Dth:SiloPort=11112.
# One ops/run.sh per data folder: a second one on the same folder refuses, naming the first (its pid and URL).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/prerequisites.sh
source ops/lib/prerequisites.sh
# shellcheck source=lib/silo.sh
source ops/lib/silo.sh
# shellcheck source=lib/build.sh
source ops/lib/build.sh
ensure_dotnet ops/run.sh
ensure_postgres ops/run.sh
ensure_tools ops/run.sh

# The same default as the silo's: root uses /var/lib (the unprivileged PostgreSQL user cannot enter /root).
if [ "$(id -u)" -eq 0 ]; then default_data=/var/lib/dthgrains; else default_data="${XDG_DATA_HOME:-$HOME/.local/share}/dthgrains"; fi
data="${DTH_DATA_DIR:-$default_data}"
port="${DTH_HTTP_PORT:-5080}"
url="http://127.0.0.1:$port"
silo_bin="src/DthGrains.Silo/bin/Release/net10.0/DthGrains.Silo.dll"
dth_dll="src/DthGrains.Cli/bin/Release/net10.0/dth.dll"
dth=(dotnet "$dth_dll")

# One platform per data folder, checked before anything starts (and before a build, which a second script would race).
lock_data_folder ops/run.sh "$data" "$url"
# Another platform (on another folder) on the same port would answer wait_ready below in this one's stead.
if port_in_use "$port"; then
  echo "ops/run.sh: something already listens on $url (another platform, on another data folder?); stop it, or choose another port with DTH_HTTP_PORT." >&2
  exit 2
fi

if [ "${DTH_NO_BUILD:-0}" != "1" ]; then
  echo "ops/run.sh: building (Release)..."
  build_release ops/run.sh src/DthGrains.Silo/DthGrains.Silo.csproj src/DthGrains.Cli/DthGrains.Cli.csproj
fi
for binary in "$silo_bin" "$dth_dll"; do
  if [ ! -f "$binary" ]; then
    echo "ops/run.sh: $binary is missing: run without DTH_NO_BUILD=1 to build it." >&2
    exit 2
  fi
done

# Stops the silo, then the embedded PostgreSQL, once, however the script ends: Ctrl-C, kill, a closed terminal, or a
# command failing under set -e once the silo runs (dth token, say), which used to leave both running, and join.env.
silo=""
stopped=0
stop() {
  [ "$stopped" = 0 ] || return 0
  stopped=1
  [ -n "$silo" ] || return 0
  if kill -0 "$silo" 2>/dev/null; then
    echo "ops/run.sh: stopping the silo and its PostgreSQL..."
    stop_silo "$silo" ops/run.sh
  fi
  stop_embedded_postgres ops/run.sh "$data"
}
stop_on_exit

# Without the lock's descriptor: the silo, and the PostgreSQL it starts, may outlive this script (see lock_data_folder).
dotnet "$silo_bin" --profile standalone --Dth:DataDirectory="$data" --Urls="$url" "$@" 9>&- &
silo=$!

wait_ready ops/run.sh "$silo" "$url" || exit 1

key="$data/identity/signing-key.pem"
token() { "${dth[@]}" token --key "$key" --role "$1" --institution "$2" --sub "$3" --name "$4"; }

cat <<TXT

DthGrains is running (standalone, institution charite, data in $data).

  API reference (interactive)  $url/reference
  OpenAPI document             $url/openapi/v1.json
  Health                       $url/health/ready
  Metrics (Prometheus)         $url/metrics  (an admin's or the auditor's token; ops/monitoring has a dashboard)

Tokens for the demo roles (valid 8 hours; 'dth token --help' mints others):
TXT
researcher="$(token researcher tum carla-researcher 'Carla Researcher')"
printf '  %-18s %s\n' "researcher (tum)" "$researcher"
printf '  %-18s %s\n' "steward (charite)" "$(token steward charite alice-steward 'Alice Steward')"
printf '  %-18s %s\n' "steward (inria)" "$(token steward inria bruno-steward 'Bruno Steward')"
printf '  %-18s %s\n' "auditor" "$(token auditor dth-oversight dan-auditor 'Dan Auditor')"
printf '  %-18s %s\n' "institution-admin" "$(token institution-admin charite erik-admin 'Erik Admin')"
printf '  %-18s %s\n' "platform-admin" "$(token platform-admin bsc pia-admin 'Pia Admin')"

# A first start seeds the demo catalogue in the background, after the silo is ready: the tries below wait for its last
# dataset (Inria's, published last), so that a search finds the whole catalogue.
seeded=0
for attempt in $(seq 1 240); do
  if curl -fsS -o /dev/null -H "Authorization: Bearer $researcher" "$url/api/catalogue/resources/inria-t1d-synthetic" 2>/dev/null; then seeded=1; break; fi
  kill -0 "$silo" 2>/dev/null || break
  [ "$attempt" = 1 ] && echo "ops/run.sh: seeding the demo catalogue..."
  sleep 0.5
done
[ "$seeded" = 1 ] || echo "ops/run.sh: the demo catalogue is not seeded yet (the silo's log says why); the tries below may find it partly empty." >&2

cat <<TXT

Try:
  export DTH_TOKEN=\$(dotnet src/DthGrains.Cli/bin/Release/net10.0/dth.dll token --key $(printf '%q' "$key") --role researcher --institution tum)
  curl -H "Authorization: Bearer \$DTH_TOKEN" $url/api/ecosystem/graph
  dotnet src/DthGrains.Cli/bin/Release/net10.0/dth.dll ecosystem graph --url $url
  ops/join.sh    (in another terminal: adds a partner's hpc silo, bsc, to this platform's cluster)

Ctrl-C stops the platform.
TXT
status=0
wait "$silo" || status=$?
stop
silo_ended ops/run.sh "$status"
