#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the tests of tracker/postgres and
# the CLI's --db postgres://… tests (internal/pgtest starts a throwaway
# cluster from it; nothing runs after the tests). The package's own default
# cluster is not needed: it is stopped if the install started it.
# In CI (CI=true) a failure is fatal; locally it is reported and those tests skip.
set -euo pipefail

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) == 0 ]]; then
  echo "deps/postgres: apt-get install postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  # Debian starts a cluster on 5432; the tests use their own, on a free port.
  if command -v pg_ctlcluster >/dev/null; then
    for c in /etc/postgresql/*/main; do
      [[ -d $c ]] && pg_ctlcluster "$(basename "$(dirname "$c")")" main stop 2>/dev/null || true
    done
  fi
elif [[ "${CI:-}" == true ]]; then
  echo "deps/postgres: PostgreSQL is not installed and this is not root" >&2
  exit 1
else
  echo "deps/postgres: PostgreSQL is not installed (the PostgreSQL tests will skip); install with: sudo apt-get install postgresql" >&2
fi
