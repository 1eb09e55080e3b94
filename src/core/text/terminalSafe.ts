/**
 * Text from a cluster (annotations, status messages, events, names from a kubeconfig) is data, and
 * a terminal must never run it: ESC ] 52 writes the clipboard, CSI sequences clear or move the
 * screen, a bare CR overwrites the line before it. Every control character is shown as a visible
 * escape instead (`\x1b`, `\r`, `\u009b`), so a hostile sequence prints as inert text and a person
 * can still see what was there. C1 controls and DEL use the `\u00XX` form, which is also a valid
 * escape inside a JSON string: sanitizing JSON output keeps it parseable and its values unchanged.
 */

/** C0 except LF and TAB, DEL, C1, and the bidi overrides/isolates that reorder what is shown. */
// eslint-disable-next-line no-control-regex
const UNSAFE_MULTILINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_ONE_LINE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface TerminalSafeOptions {
  /** Keep line feeds and tabs (messages, multi-line output). Default false: one line, as in a table cell. */
  multiline?: boolean;
}

/** `s` with every terminal control character replaced by a visible escape. */
export function terminalSafe(s: string, opts: TerminalSafeOptions = {}): string {
  return s.replace(opts.multiline ? UNSAFE_MULTILINE : UNSAFE_ONE_LINE, visible);
}

/** True when `s` holds nothing a terminal would act on (LF and TAB allowed). */
export function isTerminalSafe(s: string): boolean {
  UNSAFE_MULTILINE.lastIndex = 0;
  return !UNSAFE_MULTILINE.test(s);
}
