#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing (Debian packages when run as
# root, the Python environment), starts throw-away PostgreSQL and Redis servers on free ports,
# runs lint, format and type checks and every test, and cleans up. Extra arguments go to pytest.
#
# scripts/test.sh --fast: the edit-test loop (about a minute). Lint, format and type checks, then
# the unit and integration tests on SQLite only: nothing is installed (but the virtualenv, when
# there is none), no server is started, the PostgreSQL and Redis variants are skipped. Every
# step runs even if one before it failed; the failed ones are listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

if [ "${1:-}" = "--fast" ]; then
  shift
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -e ".[test]"
  fi
  PY="$ROOT/.venv/bin/python"
  unset KIOSK_TEST_PG_URL KIOSK_TEST_REDIS_URL KIOSK_REQUIRE_SERVICES
  start=$(date +%s)
  failed=()
  echo "== ruff"; "$PY" -m ruff check . || failed+=("ruff check")
  echo "== ruff format"; "$PY" -m ruff format --check . || failed+=("ruff format")
  echo "== mypy"; "$PY" -m mypy || failed+=(mypy)
  echo "== pytest (unit, integration on SQLite)"
  "$PY" -m pytest -q -p no:cacheprovider tests/unit tests/integration "$@" || failed+=(pytest)
  echo "fast tier took $(( $(date +%s) - start )) s"
  if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}" >&2; exit 1; fi
  exit 0
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/postgres" ] || missing+=(postgresql)
# the browser tests' Chromium (driven by Playwright); fonts for Chinese and emoji in screenshots
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root" >&2
    exit 1
  fi
fi

# Python environment, reinstalled only when pyproject.toml changes.
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
stamp=".venv/.kiosk-test-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[test]"
  touch "$stamp"
fi
PY="$ROOT/.venv/bin/python"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK="$(mktemp -d /tmp/kiosk-test.XXXXXX)"
chmod 755 "$WORK"
PGDATA="$WORK/pg"
REDIS_PORT="$(free_port)"
PG_PORT="$(free_port)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  set +e
  as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1
  [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize yes --pidfile "$WORK/redis.pid" --dir "$WORK" --logfile "$WORK/redis.log"

mkdir -p "$PGDATA"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
as_pg "$(pg_bin)/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start -o \
  "-p $PG_PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null

export KIOSK_TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export KIOSK_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export KIOSK_REQUIRE_SERVICES=1

echo "== ruff"; "$PY" -m ruff check .
echo "== ruff format"; "$PY" -m ruff format --check .
echo "== mypy (strict: the packages in pyproject's [tool.mypy] files)"; "$PY" -m mypy
echo "== dependency audit"; "$PY" scripts/audit_deps.py
echo "== pytest"
start=$(date +%s)
# Most of the suite waits on the emulated Telegram (a bot's reply, a quiet period), not on the
# CPU: a few workers overlap those waits (each has its own Redis database and PostgreSQL
# template, tests/conftest.py). KIOSK_TEST_WORKERS=0 runs it in one process.
"$PY" -m pytest -q -p no:cacheprovider -n "${KIOSK_TEST_WORKERS:-4}" "$@"
echo "suite took $(( $(date +%s) - start )) s"
