#!/usr/bin/env bash
# Install Kiosk into .venv and run its main job: the bot when BOT_TOKEN is set (env or .env),
# otherwise the offline demo against the local Telegram emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
stamp=".venv/.kiosk-run-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e .
  touch "$stamp"
fi
exec .venv/bin/python main.py "$@"
