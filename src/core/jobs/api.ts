/**
 * Job sandboxes for agents, in the shape of the CI-Fixer design: `init` a disposable sandbox,
 * `runCommand` in it, `writeFile`/`readFile`, and `teardown`. Each sandbox is a Job of this
 * namespace (`terrarium job list` shows it) under Pod Security "restricted", without a
 * ServiceAccount token, removed by teardown, or by the cluster after its timeout.
 *
 *   import { openCluster, discoverKubeconfig } from 'terrarium/core/kube/kubeconfig';
 *   import { JobSandbox } from 'terrarium/core/jobs/api';
 *
 *   const cluster = openCluster({ discovery: discoverKubeconfig({}), namespace: 'devenv' });
 *   const box = await JobSandbox.init(cluster, { image: 'ghcr.io/org/ci:1', timeout: '20m' });
 *   try {
 *     await box.writeFile('patch.diff', diffText);                // relative paths are under /workspace
 *     const r = await box.runCommand(['git', 'apply', 'patch.diff']);
 *     if (r.exitCode !== 0) console.error(r.stderr);
 *     const report = await box.readFile('report.json', 'utf8');
 *   } finally {
 *     await box.teardown();                                      // the Job and its pod are deleted
 *   }
 *
 * A runnable copy of this example: test/integration/jobs-api.test.ts ("the documented example runs").
 * Exec into the sandbox needs `pods/exec` on its pod: admins have it where they may exec; for users
 * the platform's controller grants it (see src/core/jobs/access.ts).
 */
import { Writable } from 'node:stream';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import type { SecretUse } from '../devenv/types';
import { remotePath } from './copy';
import { execStreaming } from './exec';
import { deleteJob, startJob } from './jobs';
import { newJobName, validateJobName } from './names';

export interface InitOptions {
  image: string;
  /** Default job-<random>. */
  name?: string;
  env?: Record<string, string>;
  /** Secrets given as env (NAME) or files under /run/secrets/NAME. */
  secrets?: SecretUse[];
  /** How long the sandbox may live ("30m", "2h"; default 30m): the cluster stops it then. */
  timeout?: string;
  memory?: string;
  cpu?: string;
  signal?: AbortSignal;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  /** Working directory in the sandbox (default /workspace). */
  cwd?: string;
  env?: Record<string, string>;
  /** Bytes for the command's stdin (then closed). */
  stdin?: string | Buffer;
  /** Gives up (and stops waiting) after this long; default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Output kept per stream (the tail); default 16 MiB. */
  maxOutputBytes?: number;
}

function collector(limit: number): { stream: Writable; buffer(): Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk);
      size += chunk.length;
      while (size > limit && chunks.length > 1) size -= chunks.shift()!.length;
      cb();
    },
  });
  return { stream, buffer: () => Buffer.concat(chunks) };
}

export class JobSandbox {
  private closed = false;

  private constructor(readonly cluster: Cluster, readonly name: string, readonly pod: string) {}

  /** Creates the sandbox and resolves once it runs; an image that cannot be pulled rejects (and leaves nothing). */
  static async init(cluster: Cluster, opts: InitOptions): Promise<JobSandbox> {
    const name = opts.name ?? newJobName();
    validateJobName(name);
    const s = await startJob(cluster, {
      name, image: opts.image, command: [], mode: 'start', env: opts.env, secrets: opts.secrets, timeout: opts.timeout, memory: opts.memory, cpu: opts.cpu,
    }, { signal: opts.signal });
    return new JobSandbox(cluster, name, s.pod!);
  }

  private live(): void {
    if (this.closed) throw new TerrariumError('InvalidInput', `Job sandbox ${this.name} was torn down.`, 'Create another with JobSandbox.init().');
  }

  /**
   * Runs a command: an argv array runs as is (no shell); a string is a shell command line
   * (`/bin/sh -c`), for the agent's own commands. Never rejects for a non-zero exit: see exitCode.
   */
  async runCommand(command: string[] | string, opts: RunCommandOptions = {}): Promise<CommandResult> {
    this.live();
    let argv = typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command];
    if (!argv.length) throw new TerrariumError('InvalidInput', 'runCommand needs a command.', 'Pass an argv array such as ["npm", "test"].');
    if (opts.env && Object.keys(opts.env).length) argv = ['env', ...Object.entries(opts.env).map(([k, v]) => `${k}=${v}`), ...argv];
    if (opts.cwd) argv = ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'terrarium', remotePath(opts.cwd), ...argv];
    const limit = opts.maxOutputBytes ?? 16 * 1024 * 1024;
    const out = collector(limit), err = collector(limit);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 600_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      const r = await execStreaming(this.cluster, this.pod, argv, { stdin: opts.stdin, stdout: out.stream, stderr: err.stream, signal });
      return { exitCode: r.exitCode, stdout: out.buffer().toString('utf8'), stderr: err.buffer().toString('utf8') };
    } catch (e) {
      if (timeout.aborted && !opts.signal?.aborted) {
        throw new TerrariumError('Timeout', `The command in Job sandbox ${this.name} did not finish within ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s.`, 'Pass a longer timeoutMs, or run it in the background.');
      }
      throw e;
    }
  }

  /** Writes a file (parents created); relative paths are under /workspace. */
  async writeFile(path: string, content: string | Buffer, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.live();
    const dest = remotePath(path);
    const r = await this.runCommand(['/bin/sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'terrarium', dest], { stdin: Buffer.from(content), signal: opts.signal });
    if (r.exitCode !== 0) {
      throw new TerrariumError('ServerError', `Could not write ${dest} in Job sandbox ${this.name} (exit ${r.exitCode}).`,
        'Write under /workspace or /tmp: the rest of the filesystem is read-only.');
    }
  }

  /** Reads a file: bytes, or text with an encoding. */
  async readFile(path: string): Promise<Buffer>;
  async readFile(path: string, encoding: BufferEncoding): Promise<string>;
  async readFile(path: string, encoding?: BufferEncoding): Promise<Buffer | string> {
    this.live();
    const src = remotePath(path);
    const out = collector(Number.MAX_SAFE_INTEGER), err = collector(4096);
    const r = await execStreaming(this.cluster, this.pod, ['cat', '--', src], { stdout: out.stream, stderr: err.stream });
    if (r.exitCode !== 0) {
      throw new TerrariumError('NotFound', `Could not read ${src} in Job sandbox ${this.name} (exit ${r.exitCode}).`, 'Check the path (relative paths are under /workspace).');
    }
    return encoding ? out.buffer().toString(encoding) : out.buffer();
  }

  /** Deletes the Job and its pod (propagationPolicy Background). Safe to call twice. */
  async teardown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await deleteJob(this.cluster, this.name);
  }
}
