/**
 * The whole `platform install` as one call, shared by the CLI and the VS Code command: the Vault
 * Secrets Operator through helm when asked (and present; otherwise the exact commands come back),
 * then every rendered object by server-side apply. VSO kinds are skipped while their CRDs are not served.
 */
import { Writable } from 'node:stream';
import type { Cluster } from '../kube/cluster';
import { onPath } from '../image/engine';
import { runPlan } from '../image/run';
import { installPlatform } from './install';
import { shellLine, vsoHelmPlan } from './extras';
import type { Obj } from './render';

export interface SetupOptions {
  /** Install the operator with helm (pinned chart) before applying. */
  withVso?: boolean;
  dryRun?: boolean;
  /** Where helm is looked up and what it runs with. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress lines: each helm command before it runs, each object applied or skipped. */
  log?: (line: string) => void;
  /** helm's own output (default: dropped). */
  output?: Writable;
}

export interface SetupResult {
  applied: Obj[];
  /** Not applied because their API is not served (VSO kinds without the operator). */
  skipped: Obj[];
  /** With withVso: whether helm ran, and its commands (to run by hand when it did not). */
  helm?: { ran: boolean; present: boolean; commands: string[] };
}

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

export async function setupPlatform(cluster: Cluster, objects: Obj[], opts: SetupOptions): Promise<SetupResult> {
  let helm: SetupResult['helm'];
  if (opts.withVso) {
    // --kubeconfig/--kube-context: helm installs into the cluster Terrarium talks to, not its own current context.
    const plan = vsoHelmPlan({ kubeconfig: cluster.kubeconfigPath, context: cluster.context });
    const commands = plan.map(shellLine);
    const present = !!onPath('helm', opts.env);
    if (present && !opts.dryRun) {
      await runPlan(plan, { env: opts.env, signal: opts.signal, output: opts.output ?? sink(), progress: (s) => opts.log?.(`$ ${shellLine(s)}`) });
    }
    helm = { ran: present && !opts.dryRun, present, commands };
  }
  const skipped: Obj[] = [];
  const applied = await installPlatform(cluster, objects, { dryRun: opts.dryRun, signal: opts.signal, log: opts.log, skipped });
  return { applied, skipped, ...(helm ? { helm } : {}) };
}
