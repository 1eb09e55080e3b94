/** The devenv (and controller) image on the local engine, and getting it into the kind node. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerrariumError } from '../kube/errors';
import { runTool, type LocalTools, type ToolResult } from './tools';

const said = (r: ToolResult): string => (r.stderr || r.stdout).split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? '';

/** Whether the provider's engine has the image (kind loads only local images). */
export async function imagePresent(tools: LocalTools, image: string, signal?: AbortSignal): Promise<boolean> {
  const argv = tools.provider === 'docker' ? ['docker', 'image', 'inspect', '-f', '{{.Id}}', image] : ['podman', 'image', 'exists', image];
  return (await runTool(argv, { env: tools.kindEnv, signal })).code === 0;
}

/**
 * `kind load docker-image` reads from docker only (it runs `docker save`); with podman the image
 * goes through an archive: `podman save` then `kind load image-archive`.
 */
export async function loadImage(tools: LocalTools, cluster: string, image: string, o: { signal?: AbortSignal; onOutput?: (b: Buffer) => void } = {}): Promise<string[][]> {
  const ran: string[][] = [];
  const step = async (argv: string[]) => {
    ran.push(argv);
    const r = await runTool(argv, { env: tools.kindEnv, signal: o.signal, onOutput: o.onOutput });
    if (r.code !== 0) {
      throw new TerrariumError('Unknown', `Loading ${image} into kind cluster "${cluster}" failed: ${argv.join(' ')} exited with ${r.code}${said(r) ? ` (${said(r)})` : ''}.`,
        `Check the cluster with \`kind get clusters\` and the image with \`${tools.provider} image ls\`, then run the same command again.`);
    }
  };
  if (tools.provider === 'docker') {
    await step(['kind', 'load', 'docker-image', image, '--name', cluster]);
    return ran;
  }
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-kind-load-'));
  try {
    const archive = join(dir, 'image.tar');
    await step(['podman', 'save', '--format', 'docker-archive', '-o', archive, image]);
    await step(['kind', 'load', 'image-archive', archive, '--name', cluster]);
    return ran;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
