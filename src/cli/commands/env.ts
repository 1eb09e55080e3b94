/** `terrarium env list|create|scale|stop|start|delete`. */
import { homedir } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { forgetEnvironmentSsh } from '../../core/ssh/forget';
import { cliStateDir } from '../../core/ssh/keys';
import {
  createEnvironment, deleteEnvironment, getEnvironment, listEnvironments, listSandboxes, scaleEnvironment, startEnvironment, stopEnvironment,
} from '../../core/devenv/operations';
import { setWarmSpares, type WarmSparesResult } from '../../core/devenv/warmSpares';
import { sandboxName, workspaceClaimName } from '../../core/devenv/names';
import { maxReplicasFrom, validateCidr, validateName, validateSpec } from '../../core/devenv/validate';
import { parseSecretUse } from '../../core/devenv/secretUse';
import type { ClusterTraits } from '../../core/devenv/portability';
import { egressAllowWarnings, type EgressWarning } from '../../core/devenv/egress';
import type { EnvSpec, Environment, Sandbox } from '../../core/devenv/types';
import { parseRequestLimit, parseWholeNumber, UsageError, type OptionValues } from '../args';
import { clusterFor, where } from '../cluster';
import type { CommandContext, CommandHandler } from '../commandTypes';
import { environmentJson, environmentsTable, formatList, jsonText, plural, safe } from '../output';
import { waitSeconds, waitUntilReady } from '../wait';
import { EXIT_USAGE } from '../report';
import type { Cluster } from '../../core/kube/cluster';
import { isTerrariumError } from '../../core/kube/errors';

/** The read before an operation: NotFound is left for the (audited) operation itself to report. */
const undefinedIfNotFound = (e: unknown): undefined => { if (isTerrariumError(e, 'NotFound')) return undefined; throw e; };

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

export const envListCommand: CommandHandler = async ({ globals }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const envs = await listEnvironments(cluster, { signal: ctx.signal });
  if (globals.json) { ctx.stdout.write(jsonText({ namespace: cluster.namespace, context: cluster.context, environments: envs.map(environmentJson) })); return; }
  if (!envs.length) {
    ctx.stdout.write(`No environments${where(cluster)}.\nCreate one with: terrarium env create NAME --replicas 1\n`);
    return;
  }
  ctx.stdout.write(environmentsTable(envs, ctx.now()));
};

/** The EnvSpec from `env create` options; values are checked by the core (validateSpec) before any request. */
export function specFromOptions(name: string, values: OptionValues, usage: string): EnvSpec {
  const spec: EnvSpec = { name };
  const replicas = str(values.replicas);
  if (replicas !== undefined) spec.replicas = parseWholeNumber(replicas, '--replicas', usage);
  const image = str(values.image);
  if (image !== undefined) spec.image = image;
  const cpu = str(values.cpu);
  if (cpu !== undefined) spec.cpu = parseRequestLimit(cpu, '--cpu', usage);
  const memory = str(values.memory);
  if (memory !== undefined) spec.memory = parseRequestLimit(memory, '--memory', usage);
  const size = str(values.storage);
  const className = str(values['storage-class']);
  if (size !== undefined || className !== undefined) spec.storage = { ...(size !== undefined ? { size } : {}), ...(className !== undefined ? { className } : {}) };
  const egress = values['egress-allow'];
  if (Array.isArray(egress) && egress.length) spec.egressAllow = egress;
  const warm = str(values['warm-spares']);
  if (warm !== undefined) spec.warmSpares = parseWholeNumber(warm, '--warm-spares', usage);
  const ttl = str(values['claim-ttl']);
  if (ttl !== undefined) spec.claimTtl = ttl;
  const idle = str(values['idle-stop-after']);
  if (idle !== undefined) spec.idleStopAfter = idle;
  const secrets = values.secret;
  if (Array.isArray(secrets) && secrets.length) spec.secrets = secrets.map(parseSecretUse);
  return spec;
}

/** --openshift / --node-local-dns: render for these even where they cannot be detected. */
export function traitsFromOptions(values: OptionValues): ClusterTraits {
  return { ...(values.openshift === true ? { openshift: true } : {}), ...(values['node-local-dns'] === true ? { nodeLocalDns: true } : {}) };
}

async function maybeWait(cluster: Cluster, env: Environment, values: OptionValues, usage: string, ctx: CommandContext): Promise<Environment> {
  if (values.wait !== true || env.desired === 0) return env;
  const timeoutMs = waitSeconds(str(values.timeout), usage) * 1000;
  return waitUntilReady(cluster, env.name, { signal: ctx.signal, timeoutMs });
}

function sandboxRange(env: string, from: number, to: number): string {
  if (to < from) return '';
  if (to === from) return sandboxName(env, from);
  return `${sandboxName(env, from)} … ${sandboxName(env, to)}`;
}

function readiness(env: Environment, waited: boolean): string {
  if (env.desired === 0) return '';
  if (env.ready >= env.desired) return ` All ${plural(env.desired, 'sandbox', 'sandboxes')} ready.`;
  return waited ? '' : ` ${env.ready} of ${env.desired} ready; follow with: terrarium sandbox list ${env.name}`;
}

const warningLines = (warnings: EgressWarning[]) => warnings.map((w) => `  ${w.message}\n`).join('');

/**
 * Allow-list entries that open private, metadata or all addresses need a person's yes (asked on a
 * terminal) or --yes. Returns an exit code when creation must not go ahead.
 */
export async function confirmEgress(warnings: EgressWarning[], values: OptionValues, json: boolean, ctx: CommandContext,
  question = 'Create the environment with these destinations? [y/N] '): Promise<number | undefined> {
  if (!warnings.length) return undefined;
  const head = `the egress allow-list opens ${warnings.length === 1 ? 'a destination' : 'destinations'} that sandboxes cannot reach by default:\n`;
  if (values.yes === true) {
    ctx.stderr.write(`terrarium: note: ${head}${warningLines(warnings)}  Allowed by --yes.\n`);
    return undefined;
  }
  if (!json && ctx.stdin.isTTY) {
    ctx.stderr.write(`${head.charAt(0).toUpperCase()}${head.slice(1)}${warningLines(warnings)}`);
    if (await confirm(question, ctx)) return undefined;
    ctx.stderr.write(question.startsWith('Create') ? 'Nothing was created.\n' : 'Nothing was changed.\n');
    return 1;
  }
  const hint = 'Add --yes to create it anyway, or remove these --egress-allow entries.';
  ctx.stderr.write(`terrarium: ${head}${warningLines(warnings)}  ${hint}\n`);
  if (json) {
    ctx.stdout.write(jsonText({ error: { code: 'ConfirmationRequired', message: `${head.trim()} ${warnings.map((w) => w.message).join(' ')}`, hint, egressWarnings: warnings } }));
  }
  return EXIT_USAGE;
}

export const envCreateCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const spec = specFromOptions(positionals[0]!, values, usage);
  if (values.timeout !== undefined) waitSeconds(str(values.timeout), usage);
  // Invalid entries first (a clear error), then the ones that need confirming, before any request.
  validateName(spec.name);
  for (const entry of spec.egressAllow ?? []) validateCidr(entry);
  const maxReplicas = maxReplicasFrom(ctx.env);
  validateSpec(spec, maxReplicas);
  const warnings = egressAllowWarnings(spec.egressAllow ?? []);
  const refused = await confirmEgress(warnings, values, globals.json === true, ctx);
  if (refused !== undefined) return refused;
  const cluster = clusterFor(globals, ctx);
  const verbose = values.verbose === true;
  const created = await createEnvironment(cluster, spec, {
    signal: ctx.signal, maxReplicas,
    traits: traitsFromOptions(values),
    // Progress lines only with --verbose; notes (e.g. a namespace that could not be labelled) always.
    log: (line) => { if (verbose || !/^(Applying|Host key)/.test(line)) ctx.stderr.write(`${line}\n`); },
  });
  const env = await maybeWait(cluster, created, values, usage, ctx);
  if (globals.json) {
    ctx.stdout.write(jsonText({ created: true, environment: environmentJson(env), ...(warnings.length ? { egressWarnings: warnings } : {}) }));
    return;
  }
  const n = env.desired;
  ctx.stdout.write(`Created environment "${env.name}"${where(cluster)} with ${plural(n, 'sandbox', 'sandboxes')}`
    + `${n ? ` (${sandboxRange(env.name, 0, n - 1)})` : ''}.${readiness(env, values.wait === true)}\n`);
  if (spec.secrets?.length) ctx.stdout.write((await import('./env-update')).rotationPatchLines(env.name, cluster.namespace, spec.secrets.map((s) => s.name)));
};

/** Claimed sandboxes a scale to `replicas` would stop: ordinals from replicas up to the current count. */
export function claimedBeyond(sandboxes: Sandbox[], replicas: number, desired: number): { sandbox: string; claimedBy: string }[] {
  return sandboxes.filter((s) => s.ordinal >= replicas && s.ordinal < desired && s.claimedBy && s.status.phase !== 'Stopped')
    .map((s) => ({ sandbox: s.name, claimedBy: s.claimedBy! }));
}

/**
 * Scaling down stops the tail sandboxes; people holding one must not lose it without a word. A
 * terminal asks, --yes allows it, anything else (scripts, --json) gets exit 2 and the list.
 */
async function confirmStopClaimed(name: string, replicas: number, claimed: { sandbox: string; claimedBy: string }[],
  values: OptionValues, json: boolean, ctx: CommandContext): Promise<number | undefined> {
  if (!claimed.length) return undefined;
  const list = claimed.map((c) => `  ${c.sandbox} (claimed by ${safe(c.claimedBy)})\n`).join('');
  const head = `${replicas === 0 ? `stopping "${name}"` : `scaling "${name}" to ${replicas}`} stops ${plural(claimed.length, 'claimed sandbox', 'claimed sandboxes')}; the holders lose their running sessions (workspaces are kept):\n`;
  if (values.yes === true) {
    ctx.stderr.write(`terrarium: note: ${head}${list}  Stopped anyway (--yes).\n`);
    return undefined;
  }
  if (!json && ctx.stdin.isTTY) {
    ctx.stderr.write(`${head.charAt(0).toUpperCase()}${head.slice(1)}${list}`);
    if (await confirm('Stop them? [y/N] ', ctx)) return undefined;
    ctx.stderr.write('Nothing was changed.\n');
    return 1;
  }
  const hint = `Add --yes to stop them anyway, or ask the holders to release them first (terrarium sandbox release SANDBOX).`;
  ctx.stderr.write(`terrarium: ${head}${list}  ${hint}\n`);
  if (json) {
    ctx.stdout.write(jsonText({ error: { code: 'ConfirmationRequired', message: `${head.trim()} ${claimed.map((c) => `${c.sandbox} (claimed by ${c.claimedBy})`).join(', ')}.`, hint, claimedSandboxes: claimed } }));
  }
  return EXIT_USAGE;
}

export const envScaleCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const name = positionals[0]!;
  const warmText = str(values.warm);
  const warm = warmText === undefined ? undefined : parseWholeNumber(warmText, '--warm', usage);
  if (positionals[1] === undefined && warm === undefined) throw new UsageError('say how many sandboxes (N), or how many warm spares with --warm N.', usage);
  const replicas = positionals[1] === undefined ? undefined : parseWholeNumber(positionals[1], 'the number of sandboxes N', usage);
  if (values.timeout !== undefined) waitSeconds(str(values.timeout), usage);
  validateName(name);
  const cluster = clusterFor(globals, ctx);
  let warmResult: WarmSparesResult | undefined;
  if (warm !== undefined) {
    warmResult = await setWarmSpares(cluster, name, warm, { signal: ctx.signal });
    if (replicas === undefined) {
      if (globals.json) { ctx.stdout.write(jsonText({ environment: name, warmSpares: warm, previousWarmSpares: warmResult.previous ?? null })); return; }
      ctx.stdout.write(`Environment "${name}" keeps ${plural(warm, 'warm spare', 'warm spares')} (ready, unclaimed sandboxes)`
        + `${warmResult.previous !== undefined && warmResult.previous !== warm ? `; was ${warmResult.previous}` : ''}.`
        + `${warm > 0 ? ' The Terrarium controller adds them; a claim tops the pool up when no controller runs.' : ''}\n`);
      return;
    }
  }
  const n = replicas!;
  // A missing environment fails inside scaleEnvironment, so the attempt is audited there.
  const previous = await getEnvironment(cluster, name, { signal: ctx.signal }).catch(undefinedIfNotFound);
  if (previous && n < previous.desired) {
    const claimed = claimedBeyond(await listSandboxes(cluster, name, { signal: ctx.signal }), n, previous.desired);
    const refused = await confirmStopClaimed(name, n, claimed, values, globals.json === true, ctx);
    if (refused !== undefined) return refused;
  }
  const scaled = await scaleEnvironment(cluster, name, n, { signal: ctx.signal, maxReplicas: maxReplicasFrom(ctx.env) });
  const before = previous ?? scaled;
  const env = await maybeWait(cluster, scaled, values, usage, ctx);
  const kept = n < before.desired
    ? Array.from({ length: before.desired - n }, (_, i) => workspaceClaimName(name, n + i)) : [];
  if (globals.json) {
    ctx.stdout.write(jsonText({ environment: environmentJson(env), previousReplicas: before.desired, keptWorkspaces: kept, ...(warm !== undefined ? { warmSpares: warm } : {}) }));
    return;
  }
  if (warm !== undefined) ctx.stdout.write(`Environment "${name}" keeps ${plural(warm, 'warm spare', 'warm spares')}.\n`);
  if (n === before.desired) {
    ctx.stdout.write(`Environment "${name}" already has ${plural(n, 'sandbox', 'sandboxes')}.${readiness(env, values.wait === true)}\n`);
    return;
  }
  ctx.stdout.write(`Scaled "${name}" from ${before.desired} to ${plural(n, 'sandbox', 'sandboxes')}.${readiness(env, values.wait === true)}\n`);
  if (kept.length) {
    ctx.stdout.write(`The workspaces of ${sandboxRange(name, n, before.desired - 1)} are kept (${formatList(kept)}); scaling up again reuses them.\n`);
  }
};

export const envStopCommand: CommandHandler = async ({ globals, values, positionals }, ctx) => {
  const name = positionals[0]!;
  validateName(name);
  const cluster = clusterFor(globals, ctx);
  const previous = await getEnvironment(cluster, name, { signal: ctx.signal }).catch(undefinedIfNotFound);
  if (previous && previous.desired > 0) {
    const claimed = claimedBeyond(await listSandboxes(cluster, name, { signal: ctx.signal }), 0, previous.desired);
    const refused = await confirmStopClaimed(name, 0, claimed, values, globals.json === true, ctx);
    if (refused !== undefined) return refused;
  }
  const env = await stopEnvironment(cluster, name, { signal: ctx.signal });
  const before = previous ?? env;
  if (globals.json) { ctx.stdout.write(jsonText({ environment: environmentJson(env), previousReplicas: before.desired })); return; }
  if (before.desired === 0) { ctx.stdout.write(`Environment "${name}" is already stopped.\n`); return; }
  ctx.stdout.write(`Stopped "${name}" (was ${plural(before.desired, 'sandbox', 'sandboxes')}); the workspaces are kept.\n`
    + `Start it again with: terrarium env start ${name}\n`);
};

export const envStartCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const name = positionals[0]!;
  const r = str(values.replicas);
  const replicas = r === undefined ? undefined : parseWholeNumber(r, '--replicas', usage);
  if (values.timeout !== undefined) waitSeconds(str(values.timeout), usage);
  validateName(name);
  const cluster = clusterFor(globals, ctx);
  const started = await startEnvironment(cluster, name, replicas, { signal: ctx.signal, maxReplicas: maxReplicasFrom(ctx.env) });
  const env = await maybeWait(cluster, started, values, usage, ctx);
  if (globals.json) { ctx.stdout.write(jsonText({ environment: environmentJson(env) })); return; }
  ctx.stdout.write(`Started "${name}" with ${plural(env.desired, 'sandbox', 'sandboxes')}.${readiness(env, values.wait === true)}\n`);
};

export async function confirm(question: string, ctx: CommandContext): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr });
  try {
    const answer = await rl.question(question, { signal: ctx.signal });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export const envDeleteCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const name = positionals[0]!;
  validateName(name);
  const deleteWorkspaces = values['delete-workspaces'] === true;
  if (deleteWorkspaces && values.yes !== true) {
    // Deleting workspaces loses data: ask a person, refuse a script that did not say --yes.
    if (!ctx.stdin.isTTY) throw new UsageError('deleting workspaces loses their data; add --yes to confirm.', usage);
    const ok = await confirm(`Delete environment "${name}" AND its workspaces (their data is lost)? [y/N] `, ctx);
    if (!ok) { ctx.stderr.write('Nothing was deleted.\n'); return 1; }
  }
  const cluster = clusterFor(globals, ctx);
  const r = await deleteEnvironment(cluster, name, { deleteWorkspaces, signal: ctx.signal });
  // This machine's ssh config file and host-key pins of the environment go with it.
  const ssh = forgetEnvironmentSsh(cliStateDir(ctx.env, ctx.homeDir ?? ctx.env.HOME ?? homedir()), cluster.context, cluster.namespace, name);
  if (globals.json) {
    ctx.stdout.write(jsonText({ deleted: name, keptWorkspaces: r.keptWorkspaces, deletedWorkspaces: r.deletedWorkspaces,
      sshConfigRemoved: ssh.configFile ?? null, hostKeyPinsRemoved: ssh.pins }));
    return;
  }
  ctx.stdout.write(`Deleted environment "${name}"${where(cluster)}.\n`);
  if (ssh.configFile || ssh.pins) {
    ctx.stdout.write(`Removed its ssh config${ssh.configFile ? ` (${ssh.configFile})` : ''}${ssh.pins ? ` and ${plural(ssh.pins, 'host-key pin')}` : ''} from this machine.\n`);
  }
  if (r.deletedWorkspaces.length) ctx.stdout.write(`Deleted ${plural(r.deletedWorkspaces.length, 'workspace')}: ${formatList(r.deletedWorkspaces)}.\n`);
  if (r.keptWorkspaces.length) {
    const one = r.keptWorkspaces.length === 1;
    ctx.stdout.write(`Kept ${plural(r.keptWorkspaces.length, 'workspace')} (${one ? 'PersistentVolumeClaim' : 'PersistentVolumeClaims'}): ${formatList(r.keptWorkspaces)}.\n`
      + `Creating "${name}" again reuses ${one ? 'it' : 'them'}; delete ${one ? 'it' : 'them'} with: terrarium env delete ${name} --delete-workspaces --yes\n`);
  }
};
