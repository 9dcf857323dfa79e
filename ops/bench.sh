#!/usr/bin/env bash
# Runs the benchmarks side by side with their baselines. Usage: ops/bench.sh [benchmark ...] (default: all).
# Each benchmark prints `name: value unit` lines and `ratio <name>: X.XX (target >= Y)` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/prerequisites.sh
source ops/lib/prerequisites.sh

# SciPy baseline: Debian's python3-scipy, called as /usr/bin/python3 (the python3 first on PATH may be another build).
# Through as_root, as the other scripts install: apt-get needs root, and sudo gives it to a user who may.
if ! /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-scipy; then
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-scipy
  fi
fi

# Ledger baseline: pgbench from the machine's PostgreSQL 15 (the embedded server's binaries).
if [ ! -x /usr/lib/postgresql/15/bin/pgbench ]; then
  echo "pgbench not found at /usr/lib/postgresql/15/bin/pgbench: install PostgreSQL 15 (postgresql-15 / postgresql-contrib)" >&2
fi

dotnet build tests/DthGrains.Benchmarks -c Release --nologo -v quiet
bench=tests/DthGrains.Benchmarks/bin/Release/net10.0/DthGrains.Benchmarks.dll

benchmarks=("$@")
if [ ${#benchmarks[@]} -eq 0 ]; then
  benchmarks=(solver statistics external ledger runs catalogue lineage)
fi
for b in "${benchmarks[@]}"; do
  echo "== $b"
  dotnet "$bench" "$b" "${BENCH_SECONDS:-3}"
done
