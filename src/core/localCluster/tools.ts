/**
 * kind and its node provider (docker or podman) on this machine: which is present, whether the
 * engine answers, and one way to run them (argv arrays, never a shell). kind reads the provider
 * from KIND_EXPERIMENTAL_PROVIDER; Terrarium sets it so kind never guesses differently from us.
 */
import { spawn } from 'node:child_process';
import { onPath } from '../image/engine';
import { TerrariumError } from '../kube/errors';

export const PROVIDERS = ['docker', 'podman'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const isProvider = (s: string): s is Provider => (PROVIDERS as readonly string[]).includes(s);

export interface ToolResult { code: number; stdout: string; stderr: string }

export interface RunToolOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The tool's own output as it comes (kind's progress lines); it is captured either way. */
  onOutput?: (chunk: Buffer) => void;
}

/** Runs argv; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runTool(argv: string[], o: RunToolOptions): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); o.onOutput?.(b); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); o.onOutput?.(b); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(new TerrariumError('Cancelled', `${cmd} was cancelled.`));
      else if (e.code === 'ENOENT') reject(notInstalled(cmd!));
      else reject(e);
    });
    child.on('close', (code, sig) => {
      if (o.signal?.aborted) return reject(new TerrariumError('Cancelled', `${cmd} was cancelled.`));
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr });
    });
  });
}

/** How to install each tool, one sentence (no links: the README stands alone too). */
export const INSTALL_HINTS: Record<'kind' | Provider, string> = {
  kind: 'Install kind: `go install sigs.k8s.io/kind@v0.26.0`, `brew install kind`, or the kind-<os>-<arch> binary of a kind release on your PATH.',
  docker: 'Install Docker Engine (Linux: your distribution\'s docker.io or docker-ce package, then `sudo systemctl start docker`; macOS/Windows: Docker Desktop).',
  podman: 'Install Podman (`sudo apt-get install podman`, `sudo dnf install podman`, or `brew install podman` then `podman machine init && podman machine start`).',
};

export function notInstalled(tool: string): TerrariumError {
  const hint = (INSTALL_HINTS as Record<string, string>)[tool] ?? `Install ${tool}.`;
  return new TerrariumError('NotFound', `${tool} is not installed (not found on PATH).`, hint);
}

export interface LocalTools {
  provider: Provider;
  /** The environment every kind call runs with (KIND_EXPERIMENTAL_PROVIDER set). */
  kindEnv: NodeJS.ProcessEnv;
  /** Said once to the person: e.g. why podman was chosen over an installed docker. */
  notes: string[];
}

const firstLine = (s: string): string => s.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** Why `docker info` / `podman info` failed, worded with what to do. */
function engineDown(provider: Provider, out: string, otherPresent: boolean): TerrariumError {
  const said = firstLine(out);
  const other: Provider = provider === 'docker' ? 'podman' : 'docker';
  const alt = otherPresent ? '' : ` ${other === 'podman' ? 'Podman' : 'Docker'} works too: ${INSTALL_HINTS[other]}`;
  if (provider === 'docker') {
    const denied = /permission denied/i.test(out);
    return new TerrariumError('Unreachable',
      `docker is installed but its engine does not answer: \`docker info\` failed${said ? ` (${said})` : ''}: a docker client with no engine behind it.`,
      (denied
        ? 'Add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run with access to the docker socket.'
        : 'Start the engine (Linux: `sudo systemctl start docker`; macOS/Windows: start Docker Desktop), or check DOCKER_HOST and `docker context ls`.') + alt);
  }
  return new TerrariumError('Unreachable',
    `podman is installed but does not work: \`podman info\` failed${said ? ` (${said})` : ''}.`,
    'On macOS/Windows start its VM (`podman machine start`); on Linux check rootless setup (`podman system migrate`, subuid/subgid entries).' + alt);
}

/**
 * kind must be on PATH; the provider is the one asked for (flag or KIND_EXPERIMENTAL_PROVIDER),
 * else docker when its engine answers, else podman (when only podman is present, or docker has no
 * engine and podman works).
 */
export async function detectLocalTools(env: NodeJS.ProcessEnv, wanted?: Provider, signal?: AbortSignal): Promise<LocalTools> {
  if (!onPath('kind', env)) throw notInstalled('kind');
  const fromEnv = env.KIND_EXPERIMENTAL_PROVIDER?.trim();
  if (!wanted && fromEnv) {
    if (!isProvider(fromEnv)) {
      throw new TerrariumError('InvalidInput', `KIND_EXPERIMENTAL_PROVIDER is ${JSON.stringify(fromEnv)}: terrarium cluster works with docker or podman.`,
        'Unset KIND_EXPERIMENTAL_PROVIDER or set it to docker or podman (or pass --provider docker|podman).');
    }
    wanted = fromEnv;
  }
  const present = PROVIDERS.filter((p) => onPath(p, env));
  const check = async (p: Provider) => runTool([p, 'info'], { env, signal });
  const use = (provider: Provider, notes: string[] = []): LocalTools => ({ provider, kindEnv: { ...env, KIND_EXPERIMENTAL_PROVIDER: provider }, notes });
  if (wanted) {
    if (!present.includes(wanted)) throw notInstalled(wanted);
    const info = await check(wanted);
    if (info.code !== 0) throw engineDown(wanted, info.stderr || info.stdout, present.length > 1);
    return use(wanted);
  }
  if (!present.length) {
    throw new TerrariumError('NotFound', 'Neither docker nor podman is installed: kind runs its node in a container.',
      `${INSTALL_HINTS.docker} ${INSTALL_HINTS.podman}`);
  }
  const first = await check(present[0]!);
  if (first.code === 0) return use(present[0]!);
  if (present[0] === 'docker' && present.includes('podman')) {
    const podman = await check('podman');
    if (podman.code === 0) return use('podman', [`docker has no running engine (${firstLine(first.stderr || first.stdout)}); using podman.`]);
  }
  throw engineDown(present[0]!, first.stderr || first.stdout, present.length > 1);
}

/** Cheap and synchronous: is kind on PATH? (The extension's welcome view asks this at activation.) */
export const kindOnPath = (env: NodeJS.ProcessEnv): boolean => !!onPath('kind', env);
