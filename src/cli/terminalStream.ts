/**
 * A Writable in front of stdout/stderr that makes everything written terminal-safe (see
 * core/text/terminalSafe): commands print cluster text in many status lines, and one wrapper at
 * the edge covers them all, including lines added later. JSON stays valid (DEL and C1 become
 * \u00XX escapes; JSON.stringify already escapes C0). Never used for ssh-proxy's binary stdout.
 */
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { terminalSafe } from '../core/text/terminalSafe';

export function terminalSafeStream(target: Writable): Writable {
  // A multi-byte character may be split across chunks: decode with state, per stream.
  const decoder = new StringDecoder('utf8');
  const out = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      // Handed on synchronously and acknowledged at once: nothing waits in this wrapper, so
      // output order and the process's drain-before-exit (main.ts) are those of the target.
      if (text) target.write(terminalSafe(text, { multiline: true }));
      cb();
    },
    final(cb) {
      const rest = decoder.end();
      if (rest) target.write(terminalSafe(rest, { multiline: true }));
      cb();
    },
  });
  // Commands decide on progress output by it; the wrapper writes to the same terminal.
  (out as Writable & { isTTY?: boolean }).isTTY = (target as Writable & { isTTY?: boolean }).isTTY;
  return out;
}
