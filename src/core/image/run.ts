/** Runs an image build plan: one process per step, output streamed, stopped by the AbortSignal. */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { TerrariumError } from '../kube/errors';
import type { Step } from './engine';

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The engines' own output (build logs) goes here. */
  output: Writable;
  /** One line per step before it starts. */
  progress?: (step: Step) => void;
}

function runStep(step: Step, o: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = step.argv;
    const child = spawn(cmd!, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal });
    child.stdout.on('data', (b: Buffer) => o.output.write(b));
    child.stderr.on('data', (b: Buffer) => o.output.write(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(new TerrariumError('Cancelled', `${step.what} was cancelled.`));
      else if (e.code === 'ENOENT') reject(new TerrariumError('NotFound', `${cmd} is not installed (not found on PATH).`, `Install ${cmd}, then run terrarium image build again.`));
      else reject(e);
    });
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      if (o.signal?.aborted) return reject(new TerrariumError('Cancelled', `${step.what} was cancelled.`));
      reject(new TerrariumError('Unknown', `${step.what} failed: ${step.argv.join(' ')} exited with ${sig ?? code}.`, hintFor(step)));
    });
  });
}

function hintFor(step: Step): string {
  const engine = step.argv[0];
  if (step.what === 'push') return `Log in to the registry first (${engine === 'kind' ? 'docker' : engine} login REGISTRY) and check that --tag names a repository you may push to.`;
  if (step.what === 'kind load') return 'Check the cluster name with `kind get clusters`.';
  if (engine === 'docker' || engine === 'nerdctl') {
    return `Its output above says why. If ${engine} cannot reach its daemon${engine === 'nerdctl' ? ' or buildkitd' : ''}, start it or choose another engine with --engine podman|buildah.`;
  }
  return 'Its output above says why.';
}

/** `docker info` / `nerdctl info`: undefined when the daemon answers, else the engine's first error line. */
export function probeDaemon(env: NodeJS.ProcessEnv, signal?: AbortSignal): (engine: string) => Promise<string | undefined> {
  return (engine) => new Promise((resolve) => {
    let err = '';
    const child = spawn(engine, ['info', '--format', '{{.ServerVersion}}'], { env, stdio: ['ignore', 'ignore', 'pipe'], signal, timeout: 20_000 });
    child.stderr.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-2000); });
    child.on('error', (e) => resolve(e.message));
    child.on('close', (code) => resolve(code === 0 ? undefined
      : (err.split('\n').map((l) => l.trim()).find(Boolean) ?? `${engine} info exited with ${code}`)));
  });
}

export async function runPlan(steps: Step[], o: RunOptions): Promise<void> {
  for (const step of steps) {
    o.progress?.(step);
    await runStep(step, o);
  }
}
