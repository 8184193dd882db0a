#!/usr/bin/env bash
# The dashboard's browser test (tests/browser): playwright-core from npm, at the exact version
# tests/browser/package.json names, driving Debian's chromium (scripts/install-deps.sh). Only
# what is missing is installed; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "install-browser-test: installing npm" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "install-browser-test: installing playwright-core into tests/browser/node_modules" >&2
  (cd tests/browser && npm install --no-package-lock --no-audit --no-fund --ignore-scripts >/dev/null)
fi
