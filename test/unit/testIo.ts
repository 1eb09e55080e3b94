/** Small helpers shared by CLI and process tests: captured output streams and a child process run. */
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';

/** stdout and stderr as PassThroughs whose text the test reads back. */
export function capturedStreams(): { stdout: PassThrough; stderr: PassThrough; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => { out += d; });
  stderr.on('data', (d) => { err += d; });
  return { stdout, stderr, out: () => out, err: () => err };
}

/** Runs argv to completion, collecting its output; killed (and rejected) after timeoutMs. */
export function runProcess(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${args[0]} timed out: ${stderr}`)); }, timeoutMs);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? 255, stdout, stderr }); });
    p.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}
