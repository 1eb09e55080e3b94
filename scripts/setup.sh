#!/usr/bin/env bash
# Installs everything Terrarium's tests and playground need on a fresh Debian machine with Node 20+:
# OpenSSH server/client, tmux, kubectl (when Debian has it), Chromium for the UI tests, npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for bin in /usr/sbin/sshd:openssh-server /usr/bin/ssh:openssh-client /usr/bin/tmux:tmux /usr/bin/chromium:chromium; do
  [ -x "${bin%%:*}" ] || need+=("${bin##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v kubectl >/dev/null; then
  echo "note: kubectl is not installed; the kubectl cross-check tests will be skipped" >&2
fi
npm ci --no-audit --no-fund
# code-server (a real VS Code) for the e2e tests and the playground, into .tools/; a no-op when present.
bash scripts/install-code-server.sh >/dev/null
