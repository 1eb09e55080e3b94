/**
 * Each agent session's pane output is also kept in the workspace, so it outlives the tmux
 * scrollback and the pod: tmux pipe-pane feeds a small writer that appends to
 * /workspace/.terrarium/sessions/NAME.log and, past a size, moves it to NAME.log.1 (one old file kept).
 */
import { TerrariumError } from '../kube/errors';
import { validateSessionName } from '../tmux/names';

export const SESSION_LOG_DIR = '/workspace/.terrarium/sessions';
export const DEFAULT_LOG_MAX_BYTES = 4 * 1024 * 1024;

export function sessionLogPath(name: string, dir = SESSION_LOG_DIR): string {
  validateSessionName(name);
  return `${dir}/${name}.log`;
}

/**
 * The writer, a constant POSIX sh script (no single quotes: it is quoted whole below). `head -c N`
 * copies at most N bytes and never reads past them, so the file is cut exactly at the limit; head
 * stopping short of it means the pane closed its end. head writes through stdio, which holds
 * output until exit when stdout is a file: stdbuf -o0 (coreutils) makes each read reach the file
 * at once. Without stdbuf the log is kept whole, unrotated.
 */
const WRITER = 'd=$1; f=$1/$2.log; max=$3; mkdir -p "$d" || exit 1; '
  + 'command -v stdbuf >/dev/null 2>&1 || exec cat >> "$f"; '
  + 'while :; do size=0; [ -f "$f" ] && size=$(wc -c < "$f"); size=$((size)); '
  + 'if [ "$size" -ge "$max" ]; then mv -f "$f" "$f.1"; size=0; fi; '
  + 'stdbuf -o0 head -c $((max - size)) >> "$f" || exit 0; '
  + 'now=$(wc -c < "$f"); [ $((now)) -lt "$max" ] && exit 0; done';

/**
 * The shell command tmux's pipe-pane runs (tmux hands it to /bin/sh -c, so it is shell text): the
 * only variable parts are a validated session name ([A-Za-z0-9_-]) and a number.
 */
export function pipePaneCommand(name: string, maxBytes = DEFAULT_LOG_MAX_BYTES, dir = SESSION_LOG_DIR): string {
  validateSessionName(name);
  // Shell text: the folder is ours (a constant or a test's temporary folder), checked all the same.
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir)) throw new TerrariumError('InvalidInput', `Session log folder ${JSON.stringify(dir)} is not a plain absolute path.`, 'Use letters, digits, ".", "_", "-" and "/".');
  const max = Math.max(1024, Math.floor(maxBytes));
  return `exec sh -c '${WRITER}' terrarium-log ${dir} ${name} ${max}`;
}

/** argv that prints the log's last `lines` lines and then follows it across rotations (tail -F). */
export function followLogArgv(name: string, lines = 200, dir = SESSION_LOG_DIR): string[] {
  return ['tail', '-n', String(Math.max(0, lines)), '-F', sessionLogPath(name, dir)];
}
