#!/bin/sh
# Installs the system tools the tests drive, from Debian's packages: headless Chromium (/usr/bin/chromium) for the
# dashboard's browser tests (driven by playwright-core from npm), and nats-server for the bridge tests and
# `ap bench relay`. Run as root (or through sudo); .ci/run and `npm test` call it when something is missing.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing="$missing nats-server"
if [ -z "$missing" ]; then
  echo "test tools present: chromium, nats-server"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing:$missing"
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y $missing
echo "installed:$missing"
