#!/bin/sh
# Installs what the browser tests drive: headless Chromium (Debian package `chromium`, /usr/bin/chromium) for
# test/behavior/dashboard. Run as root (or through sudo); .ci/run calls it before the tests. The driver
# (playwright-core, or the DevTools-protocol client in test/behavior/dashboard/cdp-browser.ts) comes from the repo.
set -eu
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(command -v chromium) ($(chromium --version 2>/dev/null || echo version unknown))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
$SUDO apt-get install -y chromium nats-server
echo "installed: $(command -v chromium) ($(chromium --version 2>/dev/null || echo version unknown))"
