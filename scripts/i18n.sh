#!/usr/bin/env bash
# Re-extract translatable texts and merge them into the en and zh catalogues.
# New texts appear untranslated in locales/zh/LC_MESSAGES/kiosk.po; tests fail until translated.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin
$PY/pybabel extract -F babel.cfg -k _ -k N_ --no-location --sort-output \
  --project=Kiosk -o locales/kiosk.pot bot handlers domain
for lang in en zh; do
  $PY/pybabel update -i locales/kiosk.pot -d locales -D kiosk -l "$lang" --no-fuzzy-matching \
    --ignore-obsolete
done
