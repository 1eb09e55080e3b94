/** `terrarium env update NAME …` and `terrarium env describe NAME`. */
import { planEnvironmentUpdate, updateEnvironment, getEnvironment, type EnvChange } from '../../core/devenv/operations';
import { parseSecretUse, validateSecretName, SECRET_MOUNT_ROOT } from '../../core/devenv/secretUse';
import { validateCidr, validateName } from '../../core/devenv/validate';
import { egressAllowWarnings } from '../../core/devenv/egress';
import type { Environment } from '../../core/devenv/types';
import { parseRequestLimit, parseWholeNumber, UsageError, type OptionValues } from '../args';
import { clusterFor, where } from '../cluster';
import type { CommandContext, CommandHandler } from '../commandTypes';
import { environmentJson, formatRequestLimit, jsonText, plural, safe } from '../output';
import { waitSeconds, waitUntilReady } from '../wait';
import { EXIT_USAGE } from '../report';
import { confirm, confirmEgress, traitsFromOptions } from './env';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: OptionValues[string]): string[] | undefined => (Array.isArray(v) && v.length ? v.map(String) : undefined);

/** The change `env update` options ask for; usage errors and bad values are found here, before any request. */
export function changeFromOptions(values: OptionValues, usage: string): EnvChange {
  const change: EnvChange = {};
  const image = str(values.image);
  if (image !== undefined) change.image = image;
  const cpu = str(values.cpu);
  if (cpu !== undefined) change.cpu = parseRequestLimit(cpu, '--cpu', usage);
  const memory = str(values.memory);
  if (memory !== undefined) change.memory = parseRequestLimit(memory, '--memory', usage);
  const secrets = list(values.secret);
  if (secrets) change.addSecrets = secrets.map(parseSecretUse);
  const removed = list(values['remove-secret']);
  if (removed) { removed.forEach((n) => validateSecretName(n)); change.removeSecrets = removed; }
  const egress = list(values['egress-allow']);
  if (values['no-egress-allow'] === true) {
    if (egress) throw new UsageError('give --egress-allow entries or --no-egress-allow, not both.', usage);
    change.egressAllow = [];
  } else if (egress) {
    egress.forEach(validateCidr);
    change.egressAllow = egress;
  }
  const warm = str(values['warm-spares']);
  if (warm !== undefined) change.warmSpares = parseWholeNumber(warm, '--warm-spares', usage);
  const ttl = str(values['claim-ttl']);
  if (ttl !== undefined) change.claimTtl = ttl;
  const idle = str(values['idle-stop-after']);
  if (idle !== undefined) change.idleStopAfter = idle;
  if (!Object.keys(change).length) {
    throw new UsageError('say what to change: --image, --cpu, --memory, --secret, --remove-secret, --egress-allow, --warm-spares, --claim-ttl or --idle-stop-after.', usage);
  }
  return change;
}

/**
 * Restarting claimed sandboxes interrupts their holders' sessions (workspaces stay). A terminal asks,
 * --yes allows it, anything else (scripts, --json) gets exit 2 with the list, before anything is written.
 */
async function confirmRestart(name: string, claimed: { sandbox: string; claimedBy: string }[], values: OptionValues, json: boolean, ctx: CommandContext): Promise<number | undefined> {
  if (!claimed.length) return undefined;
  const lines = claimed.map((c) => `  ${c.sandbox} (claimed by ${safe(c.claimedBy)})\n`).join('');
  const head = `updating "${name}" restarts ${plural(claimed.length, 'claimed sandbox', 'claimed sandboxes')}, one at a time; the holders lose their running sessions and tmux (workspaces are kept):\n`;
  if (values.yes === true) {
    ctx.stderr.write(`terrarium: note: ${head}${lines}  Restarted anyway (--yes).\n`);
    return undefined;
  }
  if (!json && ctx.stdin.isTTY) {
    ctx.stderr.write(`${head.charAt(0).toUpperCase()}${head.slice(1)}${lines}`);
    if (await confirm('Update and restart them? [y/N] ', ctx)) return undefined;
    ctx.stderr.write('Nothing was changed.\n');
    return 1;
  }
  const hint = 'Add --yes to restart them anyway, or ask the holders to release them first (terrarium sandbox release SANDBOX).';
  ctx.stderr.write(`terrarium: ${head}${lines}  ${hint}\n`);
  if (json) {
    ctx.stdout.write(jsonText({ error: { code: 'ConfirmationRequired', message: `${head.trim()} ${claimed.map((c) => `${c.sandbox} (claimed by ${c.claimedBy})`).join(', ')}.`, hint, claimedSandboxes: claimed } }));
  }
  return EXIT_USAGE;
}

export const envUpdateCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const name = positionals[0]!;
  validateName(name);
  const change = changeFromOptions(values, usage);
  if (values.timeout !== undefined) waitSeconds(str(values.timeout), usage);
  const warnings = egressAllowWarnings(change.egressAllow ?? []);
  const refused = await confirmEgress(warnings, values, globals.json === true, ctx, 'Update the environment with these destinations? [y/N] ');
  if (refused !== undefined) return refused;
  const cluster = clusterFor(globals, ctx);
  const plan = await planEnvironmentUpdate(cluster, name, change, { signal: ctx.signal });
  const stop = await confirmRestart(name, plan.claimed, values, globals.json === true, ctx);
  if (stop !== undefined) return stop;
  let env = await updateEnvironment(cluster, plan, { signal: ctx.signal, traits: traitsFromOptions(values) });
  if (values.wait === true && env.desired > 0 && plan.restartsSandboxes) {
    env = await waitUntilReady(cluster, name, { signal: ctx.signal, timeoutMs: waitSeconds(str(values.timeout), usage) * 1000 });
  }
  if (globals.json) {
    ctx.stdout.write(jsonText({ updated: name, changes: plan.changes, restarts: plan.restartsSandboxes, restartedClaimed: plan.claimed, environment: environmentJson(env) }));
    return;
  }
  if (!plan.changes.length) { ctx.stdout.write(`Environment "${name}" already has these settings; nothing changed.\n`); return; }
  ctx.stdout.write(`Updated "${name}"${where(cluster)}: ${plan.changes.join(', ')}.\n`);
  if (change.addSecrets?.length) ctx.stdout.write(rotationPatchLines(name, cluster.namespace, change.addSecrets.map((s) => s.name)));
  if (plan.restartsSandboxes && plan.before.desired > 0) {
    ctx.stdout.write(`The ${plural(plan.before.desired, 'sandbox', 'sandboxes')} restart one at a time, highest number first; workspaces are kept.`
      + `${values.wait === true ? '' : ` Follow with: terrarium sandbox list ${name}`}\n`);
  }
};

/**
 * VSO restarts what a VaultStaticSecret's spec.rolloutRestartTargets names when it rotates the
 * Secret; this is the exact patch that makes it restart the environment (all its sandboxes, claimed
 * ones too) so they read the new values. Printed, not applied: the VSO object is the admin's.
 */
export function rotationPatchLines(env: string, namespace: string, secrets: string[]): string {
  if (!secrets.length) return '';
  const patch = JSON.stringify({ spec: { rolloutRestartTargets: [{ kind: 'StatefulSet', name: env }] } });
  return `Sandboxes read a Secret when they start. To restart them when Vault rotates it, add the environment to the rotation targets of the\n`
    + `VaultStaticSecret (or VaultDynamicSecret) whose spec.destination.name is ${secrets.join(' / ')}:\n`
    + `  kubectl -n ${namespace} patch vaultstaticsecret VSS_NAME --type merge -p '${patch}'\n`;
}

/** Every line of `env describe`, as label and value. */
export function describeLines(env: Environment): [string, string][] {
  const secrets = env.secrets ?? [];
  const rows: [string, string][] = [
    ['Name', env.name],
    ['Namespace', env.namespace],
    ['Status', `${env.status} (${env.ready}/${env.desired} ready)`],
    ['Image', env.image],
    ['CPU', formatRequestLimit(env.resources.cpu)],
    ['Memory', formatRequestLimit(env.resources.memory)],
    ['Workspace', `${env.storage.size ?? '?'} each, storage class ${env.storage.className ?? '(cluster default)'}`],
    ['Warm spares', env.warmSpares === undefined ? 'none (no warm pool)' : `${env.warmSpares} (at most ${env.maxReplicas} sandboxes)`],
    ['Claim TTL', env.claimTtl ? `idle claims are released after ${env.claimTtl}` : 'claims never expire'],
    ['Idle stop', env.idleStopAfter ? `stops after ${env.idleStopAfter} idle` : 'never'],
    ['Secrets', secrets.length ? secrets.map((s) => (s.as === 'env' ? `${s.name} (environment variables)` : `${s.name} (files in ${SECRET_MOUNT_ROOT}/${s.name})`)).join(', ') : 'none'],
    ['Egress', env.egressAllow === undefined ? 'DNS and public addresses; allow-list not recorded (created by an older Terrarium)'
      : `DNS and public addresses${env.egressAllow.length ? `, plus ${env.egressAllow.join(', ')}` : '; no allow-list'}`],
    ['Host keys', env.hostPublicKey ? 'one key for the environment (older image); new sandboxes each make their own' : 'each sandbox has its own, kept on its workspace'],
    ['Created', env.createdAt ?? 'unknown'],
  ];
  if (env.lastReplicas !== undefined && env.desired === 0) rows.push(['Before stop', plural(env.lastReplicas, 'sandbox', 'sandboxes')]);
  for (const p of env.settingProblems ?? []) rows.push(['Problem', p]);
  return rows;
}

export const envDescribeCommand: CommandHandler = async ({ globals, positionals }, ctx) => {
  const name = positionals[0]!;
  validateName(name);
  const cluster = clusterFor(globals, ctx);
  const env = await getEnvironment(cluster, name, { signal: ctx.signal });
  if (globals.json) {
    ctx.stdout.write(jsonText({
      environment: {
        ...environmentJson(env),
        warmSpares: env.warmSpares ?? null, maxReplicas: env.maxReplicas ?? null, claimTtl: env.claimTtl ?? null, idleStopAfter: env.idleStopAfter ?? null,
        secrets: env.secrets ?? [], egressAllow: env.egressAllow ?? null,
        hostKeys: env.hostPublicKey ? 'environment' : 'per-sandbox',
        settingProblems: env.settingProblems ?? [],
      },
    }));
    return;
  }
  const rows = describeLines(env);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  ctx.stdout.write(rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${safe(v)}\n`).join(''));
};
