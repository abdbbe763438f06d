#!/usr/bin/env bash
# Install what the project needs that is missing: system packages (PostgreSQL server,
# JDK 17; with --bench also the load generator wrk), the virtualenv from the lock file, and
# the project itself (editable).
# Idempotent: a second run only checks. Jars and Trino are fetched on first start into
# ~/.cache/refdata (see refdata/stack/downloads.py).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${REFDATA_PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

need_apt=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need_apt+=(postgresql)
if ! java -version 2>&1 | grep -q 'version "17'; then
  compgen -G "/usr/lib/jvm/java-17-openjdk-*/bin/java" >/dev/null || need_apt+=(openjdk-17-jdk-headless)
fi
if [ "${1:-}" = "--bench" ]; then
  command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)  # bench/api.py's load generator
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install: missing system packages: ${need_apt[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "install: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian starts a cluster of its own on 5432; the project runs its own, so stop that one.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version name _; do
      pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    done
  fi
fi

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || {
  echo "install: Python 3.11 is required (found $("$PYTHON" --version 2>&1)); set REFDATA_PYTHON" >&2
  exit 1
}

stamp=.venv/.installed
lock_hash=$(cat requirements/main.lock pyproject.toml | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip==25.3
.venv/bin/python -m pip install --quiet --requirement requirements/main.lock
.venv/bin/python -m pip install --quiet --no-deps --editable .
echo "$lock_hash" > "$stamp"
echo "install: virtualenv ready (.venv)"
