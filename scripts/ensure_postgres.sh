#!/usr/bin/env bash
# Installs Debian's PostgreSQL server where it is missing: the test suite starts a throwaway
# server from its binaries (tests/postgres.py). Quiet and idempotent; a no-op once installed.
set -euo pipefail

if compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
  as_root=(sudo -n)
else
  echo "ensure_postgres: PostgreSQL server binaries missing and not root: run" \
    "'apt-get install postgresql' as root; the PostgreSQL tests fail until then" >&2
  exit 0
fi

echo "ensure_postgres: installing Debian's postgresql package (tests start a throwaway server)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${as_root[@]}" apt-get update -qq \
  && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends postgresql; } > "$log" 2>&1; then
  cat "$log" >&2
  echo "ensure_postgres: installing postgresql failed" >&2
  exit 1
fi
compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null || {
  echo "ensure_postgres: postgresql installed but no initdb under /usr/lib/postgresql/*/bin" >&2
  exit 1
}
