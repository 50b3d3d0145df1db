#!/bin/sh
# Installs the tools the benchmarks compare against: nats-server (Debian package) for `ap bench relay`.
# Run as root (or through sudo). The nats client library comes from npm (`npm install`, a devDependency).
set -eu
if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
  echo "nats-server already installed: $(command -v nats-server || echo /usr/sbin/nats-server)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
$SUDO apt-get install -y nats-server
# The Debian package installs /usr/sbin/nats-server and enables a system service; the bench starts its own copy on
# a free loopback port, so the service is not needed.
echo "installed: $(command -v nats-server || echo /usr/sbin/nats-server)"
