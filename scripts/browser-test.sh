#!/usr/bin/env bash
# Accessibility of the web pages in headless Chromium with axe-core (WCAG 2.1 A and AA): installs
# Debian's chromium and chromium-driver, and a venv under target/ with selenium and axe-core
# (bundled in axe-playwright-python, installed without its dependencies), if missing. Screenshots go
# to target/screenshots; SAMVERKA_SCREENSHOTS=docs/screenshots refreshes the committed ones.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get install -y chromium chromium-driver || { apt-get update && apt-get install -y chromium chromium-driver; }
fi
venv=target/browser-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium, axe_playwright_python' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q selenium
  "$venv/bin/pip" install -q --no-deps axe-playwright-python
fi
cargo build -q -p samverka-node --example web_fixture
"$venv/bin/python" web/tests/browser.py
