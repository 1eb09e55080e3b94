/**
 * Failures as people (and agents) should see them, and the exit code for each: usage errors 2,
 * expected failures (TerrariumError) 1 with message and hint, interruption 130, bugs 1 with a
 * one-line message (the stack only with TERRARIUM_DEBUG=1). Messages quote cluster text (claims,
 * Status messages) and sometimes commands (with keys in them): everything printed here is
 * redacted and made terminal-safe, for every error at once.
 */
import type { Writable } from 'node:stream';
import { TerrariumError } from '../core/kube/errors';
import { redact } from '../core/redact';
import { terminalSafe } from '../core/text/terminalSafe';
import { UsageError } from './args';
import { jsonText } from './output';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export interface ReportIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export function isDebug(env: NodeJS.ProcessEnv): boolean {
  return !!env.TERRARIUM_DEBUG && env.TERRARIUM_DEBUG !== '0';
}

/** Prints the failure and returns the exit code. With json, stdout also gets {"error": {...}}. */
export function reportFailure(e: unknown, io: ReportIo, opts: { json?: boolean; interrupted?: boolean } = {}): number {
  return report(e, { ...io, stderr: { write: (text: string) => io.stderr.write(terminalSafe(redact(text), { multiline: true })) } }, opts);
}

function report(e: unknown, io: { stdout: Writable; stderr: { write(text: string): unknown }; env: NodeJS.ProcessEnv }, opts: { json?: boolean; interrupted?: boolean }): number {
  const json = (error: { code: string; message: string; hint?: string }) => {
    if (opts.json) io.stdout.write(jsonText({ error: { code: error.code, message: redact(error.message), hint: error.hint ? redact(error.hint) : null } }));
  };
  if (opts.interrupted || (e instanceof TerrariumError && e.code === 'Cancelled')) {
    io.stderr.write('terrarium: interrupted.\n');
    json({ code: 'Cancelled', message: 'Interrupted.' });
    return EXIT_INTERRUPTED;
  }
  if (e instanceof UsageError) {
    io.stderr.write(`terrarium: ${e.message}\n${e.usage ? `usage: ${e.usage}\n` : ''}`);
    io.stderr.write(`Run "${helpCommandFor(e.usage)}" for more.\n`);
    json({ code: 'Usage', message: e.message, hint: e.usage ? `usage: ${e.usage}` : undefined });
    return EXIT_USAGE;
  }
  if (e instanceof TerrariumError) {
    io.stderr.write(`terrarium: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    if (isDebug(io.env) && e.cause) io.stderr.write(`${describeCause(e.cause)}\n`);
    json({ code: e.code, message: e.message, hint: e.hint });
    return EXIT_FAILED;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.stderr.write(`terrarium: unexpected error: ${firstLine(message)}\n`);
  if (isDebug(io.env)) io.stderr.write(`${e instanceof Error ? e.stack ?? message : message}\n`);
  else io.stderr.write('  This is a bug in Terrarium; run with TERRARIUM_DEBUG=1 for details.\n');
  json({ code: 'Unexpected', message: firstLine(message), hint: 'Run with TERRARIUM_DEBUG=1 for details.' });
  return EXIT_FAILED;
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? '';
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.stack ?? cause.message : String(cause);
}

/** "terrarium env scale NAME N" -> "terrarium env scale --help". */
function helpCommandFor(usage: string | undefined): string {
  if (!usage) return 'terrarium --help';
  const words: string[] = [];
  for (const w of usage.split(' ')) {
    if (!/^[a-z][-a-z]*$/.test(w)) break;
    words.push(w);
  }
  return `${words.join(' ')} --help`;
}
