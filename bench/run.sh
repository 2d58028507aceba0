#!/usr/bin/env bash
# The idmcp benchmark, one command: bench/run.sh [--quick] [--users N --tenants T --events M] …
# (bench/README.md). Needs Rust, python3 (with venv), node/npm; installs the peers and wrk.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export IDMCP_SHARED="${IDMCP_SHARED:-$(cd "$here/../.." && pwd)/shared}"
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }
# bench.py kills every process it started (by pid / own process group) on exit or signal.
exec python3 "$here/bench.py" "$@"
