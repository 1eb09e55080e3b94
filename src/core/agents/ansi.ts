/**
 * Pane output is hostile text: an agent (or whatever it printed) can emit OSC 52 (write the
 * clipboard), CSI sequences that clear or move the screen, or bidi overrides. Shown as plain text
 * (an output channel, a tooltip, a notification) it is stripped of every control sequence; the
 * printable text stays. A stream version keeps a sequence split across chunks whole.
 */

// ESC [ ... final (CSI), ESC ] ... BEL|ST (OSC), ESC P/X/^/_ ... ST (DCS, SOS, PM, APC), ESC + one char,
// 8-bit CSI (0x9b) and the other C1 controls, C0 except LF and TAB, DEL, bidi overrides/isolates.
// eslint-disable-next-line no-control-regex
const SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]/g;
// eslint-disable-next-line no-control-regex
const LEFTOVER = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** An escape sequence that may continue in the next chunk (no final byte yet). */
// eslint-disable-next-line no-control-regex
const UNFINISHED = /(?:\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|[PX^_][^\x1b]*\x1b|\][^\x07\x1b]*\x1b|[ -/]*)?|\x9b[0-?]*[ -/]*)$/;

/**
 * Text with control sequences removed. CR LF (and CR CR LF: a log of a terminal read through a
 * terminal) becomes LF; a lone CR (a progress bar redrawing its
 * line) becomes LF too, so nothing overwrites what came before it.
 */
export function stripControl(text: string): string {
  return text.replace(SEQUENCE, '').replace(/\r+\n/g, '\n').replace(/\r/g, '\n').replace(LEFTOVER, '');
}

/** A stripper for a byte stream: `push` returns the clean text so far, holding back a partial sequence. */
export class ControlStripper {
  private pending = '';
  private crPending = false;

  push(chunk: string): string {
    let text = this.pending + chunk;
    const tail = UNFINISHED.exec(text);
    this.pending = tail && tail[0] ? tail[0].slice(0, 4096) : '';
    if (tail && tail[0]) text = text.slice(0, tail.index);
    if (this.crPending) { text = `\r${text}`; this.crPending = false; }
    // CRs at the very end may be the start of CR LF.
    const crs = /\r+$/.exec(text);
    if (crs) { this.crPending = true; text = text.slice(0, crs.index); }
    return stripControl(text);
  }
}

/** The last line with printable text, stripped and cut to `max` characters (for a tooltip or a notification). */
export function lastLine(text: string, max = 200, skip?: RegExp): string | undefined {
  const lines = stripControl(text).split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l.trim() && !(skip && skip.test(l)));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  return last.length > max ? `${last.slice(0, max - 1)}…` : last;
}
