import { chmodSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file atomically (temp file + rename), so a crash never leaves half a config behind.
 * An existing file keeps its mode unless `keepMode` is false (files that must stay 0600).
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600, opts: { keepMode?: boolean } = {}): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let keep = mode;
  if (opts.keepMode !== false) {
    try { keep = statSync(file).mode & 0o777; } catch {}
  }
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  writeFileSync(tmp, text, { mode: keep });
  chmodSync(tmp, keep);
  renameSync(tmp, file);
}
