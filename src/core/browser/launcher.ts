/**
 * The program that starts and stops a VS Code server inside a sandbox, as the sandbox's user, over
 * exec. It is POSIX sh (the devenv image and any Debian-like image have sh, setsid, sed, pkill),
 * passed as `sh -c SCRIPT terrarium-browser ACTION ARGS...`, so nothing is installed in the image.
 *
 * Where the server comes from (the README's "VS Code in a browser"):
 *  1. the workspace: /workspace/.terrarium/vscode-server, which `terrarium open --browser
 *     --install-server FILE` fills from a code-server or openvscode-server release (.tar.gz) on this
 *     machine (sandboxes usually have no egress, so it is copied over exec, not downloaded);
 *  2. the image: /usr/local/lib/code-server, /usr/local/lib/openvscode-server, /opt/... for images
 *     derived from the devenv image that add one (the devenv image itself ships none: its build
 *     cannot reach the release downloads, and it keeps the image small).
 * Both release layouts are "node + VS Code's server-main.js": code-server's lib/node and
 * lib/vscode/out/server-main.js, openvscode-server's node and out/server-main.js. VS Code's own
 * server is run directly (not code-server's wrapper, which always disables the connection token),
 * with its connection token read from a file: `?tkn=` sets the `vscode-tkn` cookie, anything else
 * gets 403.
 *
 * The token arrives on stdin, is written to a 0600 file in a 0700 folder under $TMPDIR (the pod's
 * /tmp emptyDir) and is never on a command line. The server's log (which prints the URL with the
 * token) stays in that folder; failures print its tail with the token removed.
 */

/** Where a workspace install goes (the install writes it, the launcher looks there first). */
export const WORKSPACE_SERVER_DIR = '/workspace/.terrarium/vscode-server';
/** Where images may put one. */
export const IMAGE_SERVER_DIRS = ['/usr/local/lib/code-server', '/usr/local/lib/openvscode-server', '/opt/code-server', '/opt/openvscode-server'] as const;
/** Server state (settings, extensions) persists on the workspace. */
export const SERVER_DATA_DIR = '/workspace/.terrarium/vscode-server-data';

/** Exit codes of the launcher that the core turns into messages. */
export const EXIT_NO_SERVER = 40;
export const EXIT_SERVER_FAILED = 41;
export const EXIT_BAD_TOKEN = 42;

// Every /workspace below is preceded by a space, '=' or a quote: kube-sim maps exactly those.
export const LAUNCHER_SCRIPT = `set -u
umask 077
action=$1; shift
find_server() {
  for d in ${WORKSPACE_SERVER_DIR} ${IMAGE_SERVER_DIRS.join(' ')}; do
    if [ -x "$d/lib/node" ] && [ -f "$d/lib/vscode/out/server-main.js" ]; then node="$d/lib/node"; main="$d/lib/vscode/out/server-main.js"; return 0; fi
    if [ -x "$d/node" ] && [ -f "$d/out/server-main.js" ]; then node="$d/node"; main="$d/out/server-main.js"; return 0; fi
  done
  return 1
}
case "$action" in
find)
  find_server || exit ${EXIT_NO_SERVER}
  echo "server=$main"
  ;;
start)
  autoshutdown=$1; id=$2
  case "$id" in ""|*[!0-9a-f]*) echo "bad session id" >&2; exit 2 ;; esac
  if ! find_server; then
    echo "no VS Code server in ${WORKSPACE_SERVER_DIR} ${IMAGE_SERVER_DIRS.join(' ')}" >&2
    exit ${EXIT_NO_SERVER}
  fi
  IFS= read -r token || true
  case "$token" in ""|*[!0-9A-Za-z_-]*) echo "bad token" >&2; exit ${EXIT_BAD_TOKEN} ;; esac
  # Named by the caller's session id (not secret), so a start cancelled half-way can still be stopped.
  dir="\${TMPDIR:-/tmp}/terrarium-browser.$id"
  mkdir -m 700 "$dir" || exit ${EXIT_SERVER_FAILED}
  printf '%s' "$token" > "$dir/token"
  data="${SERVER_DATA_DIR}"
  mkdir -p "$data/extensions" || exit ${EXIT_SERVER_FAILED}
  extra=""
  # The safety net when this machine goes away: a vanished tab's connection is dropped after 5 min
  # (VS Code keeps it 3 h by default, holding the server), then the server stops 5 min later.
  [ "$autoshutdown" = 1 ] && extra="--enable-remote-auto-shutdown --reconnection-grace-time 300"
  # setsid: its own session and process group, so it outlives this exec and stops as one group.
  setsid "$node" "$main" --host 127.0.0.1 --port 0 --connection-token-file "$dir/token" \\
    --accept-server-license-terms --telemetry-level off --default-folder "/workspace" \\
    --server-data-dir "$data" --user-data-dir "$data/user" --extensions-dir "$data/extensions" $extra \\
    </dev/null >"$dir/log" 2>&1 &
  pid=$!
  echo "$pid" > "$dir/pid"
  i=0
  while :; do
    port=$(sed -n 's/.*listening on \\([0-9][0-9]*\\).*/\\1/p' "$dir/log" | head -n 1)
    [ -n "$port" ] && break
    if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 1200 ]; then
      kill -9 "-$pid" 2>/dev/null
      sed 's/tkn=[^ ]*/tkn=<redacted>/g' "$dir/log" | tail -n 15 >&2
      rm -rf "$dir"
      exit ${EXIT_SERVER_FAILED}
    fi
    i=$((i + 1)); sleep 0.05
  done
  echo "port=$port pid=$pid dir=$dir"
  ;;
stop)
  id=$1
  case "$id" in ""|*[!0-9a-f]*) echo "bad session id" >&2; exit 2 ;; esac
  dir="\${TMPDIR:-/tmp}/terrarium-browser.$id"
  [ -d "$dir" ] || exit 0
  # Only the process this session started (its pid file, its own token file), never a reused pid.
  pid=$(cat "$dir/pid" 2>/dev/null)
  case "$pid" in ""|*[!0-9]*) pid="" ;; esac
  if [ -n "$pid" ] && tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/token"; then
    kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
    kill -KILL "-$pid" 2>/dev/null
  fi
  # A start cancelled before the pid file was written: the server is known by its token file.
  pkill -f -- "--connection-token-file $dir/token" 2>/dev/null
  rm -rf "$dir"
  ;;
running)
  pid=$1
  kill -0 "$pid" 2>/dev/null
  ;;
*) echo "unknown action $action" >&2; exit 2 ;;
esac
`;

/** argv for one launcher action (the script is an argument of sh, never a string built from input). */
export function launcherArgv(action: 'find' | 'start' | 'stop' | 'running', args: string[] = []): string[] {
  return ['sh', '-c', LAUNCHER_SCRIPT, 'terrarium-browser', action, ...args];
}

export interface Started { port: number; pid: number; dir: string }

/** Parses the launcher's `port=N pid=P dir=D` line. */
export function parseStarted(stdout: string): Started | undefined {
  const m = /^port=(\d+) pid=(\d+) dir=(\S+)$/m.exec(stdout);
  if (!m) return undefined;
  const port = Number(m[1]);
  if (!(port > 0 && port < 65536)) return undefined;
  return { port, pid: Number(m[2]), dir: m[3]! };
}
