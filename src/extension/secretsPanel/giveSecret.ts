/**
 * "Give to sandboxes" from the Secrets panel: a Secret reaches every sandbox of the environment as
 * environment variables or as read-only files under /run/secrets/NAME (the core's `env update
 * --secret NAME[=env|=file]`). Sandboxes restart for it, so the person is told first, with the
 * claimed ones named by holder; for a Vault secret, VSO's rolloutRestartTargets is offered so a
 * rotation restarts them too. No vscode import: the host asks the questions (modal dialogs in the
 * extension, recorded answers in tests).
 */
import type { Cluster } from '../../core/kube/cluster';
import type { SecretUse } from '../../core/devenv/types';
import type { EnvChange, UpdatePlan } from '../../core/devenv/operations';
import type { SecretKind, WebviewToPanel } from '../../shared/protocol';

export type GiveMessage = Extract<WebviewToPanel, { type: 'give' }>;

export interface GiveHost {
  /** A modal question; the chosen action, or undefined when dismissed. */
  ask(message: string, detail: string, actions: string[]): Promise<string | undefined>;
  notice(level: 'info' | 'error', message: string): void;
}

/** The core calls the flow uses (coreModules in the extension; the same functions in tests). */
export interface GiveOps {
  plan(cluster: Cluster, environment: string, change: EnvChange): Promise<UpdatePlan>;
  apply(cluster: Cluster, plan: UpdatePlan): Promise<unknown>;
  restartsOnRotation(cluster: Cluster, kind: SecretKind, name: string, statefulSet: string): Promise<boolean>;
  addRestartTarget(cluster: Cluster, kind: SecretKind, name: string, statefulSet: string): Promise<boolean>;
}

export const AS_ENV = 'As environment variables';
export const asFiles = (secret: string) => `As files under /run/secrets/${secret}`;
export const RESTART_ON_ROTATION = 'Restart them on rotation';

export type GiveOutcome =
  | { outcome: 'cancelled' }
  | { outcome: 'given' | 'unchanged'; as: SecretUse['as']; claimed: UpdatePlan['claimed']; restartOnRotation: 'added' | 'already' | 'declined' | 'not-vso' };

export async function giveToSandboxes(cluster: Cluster, environment: string, msg: GiveMessage, host: GiveHost, ops: GiveOps): Promise<GiveOutcome> {
  const secret = msg.secret;
  const asEnv = await ops.plan(cluster, environment, { addSecrets: [{ name: secret, as: 'env' }] });
  const running = asEnv.before.desired;
  const claimed = asEnv.claimed;
  const choice = await host.ask(
    `Give the Secret "${secret}" to the sandboxes of "${environment}"? ${running ? 'They restart.' : ''}`.trim(),
    [
      running ? `Every running sandbox (${running}) restarts, one at a time, to get it; workspaces are kept, tmux sessions and agents stop.`
        : 'No sandbox is running: they get it when they start.',
      claimed.length ? `Claimed now: ${claimed.map((c) => `${c.sandbox} (${c.claimedBy})`).join(', ')}. Tell their holders first.` : running ? 'No running sandbox is claimed.' : '',
      `Environment variables: each key of the Secret becomes a variable. Files: each key is a read-only file /run/secrets/${secret}/KEY (no restart when Vault rotates it, but programs that read it once need one).`,
      `The same as: terrarium env update ${environment} --secret ${secret}=env|file`,
    ].filter(Boolean).join('\n\n'),
    [AS_ENV, asFiles(secret)]);
  if (choice !== AS_ENV && choice !== asFiles(secret)) return { outcome: 'cancelled' };
  const as: SecretUse['as'] = choice === AS_ENV ? 'env' : 'file';
  const plan = as === 'env' ? asEnv : await ops.plan(cluster, environment, { addSecrets: [{ name: secret, as }] });
  const changed = plan.changes.includes('secrets');
  if (changed) await ops.apply(cluster, plan);

  let restartOnRotation: Extract<GiveOutcome, { as: unknown }>['restartOnRotation'] = 'not-vso';
  if (msg.source) {
    const { kind, name } = msg.source;
    if (await ops.restartsOnRotation(cluster, kind, name, environment)) restartOnRotation = 'already';
    else {
      const yes = await host.ask(`Restart the sandboxes of "${environment}" when Vault rotates "${name}"?`,
        `Adds StatefulSet ${environment} to the ${kind}'s rolloutRestartTargets: after each rotation the Vault Secrets Operator restarts every sandbox (one at a time), `
        + 'so they run with the new value. Environment variables only change on a restart.', [RESTART_ON_ROTATION]);
      restartOnRotation = yes === RESTART_ON_ROTATION && await ops.addRestartTarget(cluster, kind, name, environment) ? 'added'
        : yes === RESTART_ON_ROTATION ? 'already' : 'declined';
    }
  }
  const where = as === 'env' ? 'as environment variables' : `as files under /run/secrets/${secret}`;
  host.notice('info', [
    changed ? `"${secret}" is given to the sandboxes of "${environment}" ${where}${running ? '; they restart one at a time' : ''}.`
      : `"${secret}" was already given to "${environment}" ${where}: nothing restarts.`,
    restartOnRotation === 'added' ? `A rotation of ${msg.source!.name} now restarts them.` : '',
  ].filter(Boolean).join(' '));
  return { outcome: changed ? 'given' : 'unchanged', as, claimed: plan.claimed, restartOnRotation };
}
