# Shared by ops/run.sh, ops/join.sh, ops/test.sh and ops/bench.sh: make sure the .NET SDK, the PostgreSQL server
# binaries and the tools the scripts run are there, installing what is missing with apt-get. Source it; it defines
# functions only.

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
    echo "need root (or sudo) to run: $*" >&2
    return 1
  fi
}

# ensure_dotnet SCRIPT_NAME: exits with a clear message when the SDK is absent.
ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "$1: the .NET SDK was not found. Install the .NET 10 SDK (version pinned in global.json; for example the dotnet-sdk-10.0 package or Microsoft's dotnet-install script), make sure 'dotnet' is on PATH, and run $1 again." >&2
    exit 1
  fi
  export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# ensure_postgres SCRIPT_NAME: installs the postgresql package when its server binaries are absent.
ensure_postgres() {
  have_postgres_binaries && return 0
  echo "$1: PostgreSQL server binaries (initdb, pg_ctl) not found; installing the postgresql package."
  # DthGrains runs its own private servers: keep the package from creating and starting a system
  # cluster on port 5432 that nothing here uses.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    as_root mkdir -p /etc/postgresql-common &&
      echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }; then
    echo "$1: could not install PostgreSQL. Install the server binaries yourself (apt-get install -y postgresql) and run $1 again." >&2
    exit 1
  fi
  if ! have_postgres_binaries; then
    echo "$1: postgresql is installed but initdb/pg_ctl are still not found on PATH or under /usr/lib/postgresql/*/bin." >&2
    exit 1
  fi
}

# ensure_tools SCRIPT_NAME: installs what ops/run.sh and ops/join.sh run besides .NET when it is absent: curl (they wait
# for the silo's /health/ready with it; the smoke test of ops/test.sh runs them) and util-linux's flock (ops/run.sh
# locks its data folder with it).
ensure_tools() {
  local missing=()
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v flock >/dev/null 2>&1 || missing+=(util-linux)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$1: installing ${missing[*]} (the scripts wait for a silo with curl, and lock the data folder with flock)."
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; }; then
    echo "$1: could not install ${missing[*]}. Install them yourself (apt-get install -y ${missing[*]}) and run $1 again." >&2
    exit 1
  fi
}

# ensure_python SCRIPT_NAME: installs what external models' codes need when it is absent: python3 (the example
# external model, silo-config/external-models, is a Python program, and the tests run it as a real process) and
# util-linux's setsid, prlimit and unshare and mount (a code leads a process group of its own, a descriptor's limits
# are set with prlimit, and a code starts in namespaces of its own where mounts hide the silo's secrets).
ensure_python() {
  local missing=()
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  { command -v setsid >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1; } || missing+=(util-linux)
  command -v mount >/dev/null 2>&1 || missing+=(mount)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$1: installing ${missing[*]} (external models' codes run on them)."
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; }; then
    echo "$1: could not install ${missing[*]}. Install them yourself (apt-get install -y ${missing[*]}) and run $1 again." >&2
    exit 1
  fi
}
