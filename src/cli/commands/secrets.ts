/**
 * `terrarium secrets list` and `terrarium secrets resync KIND/NAME`: the panel's secret states and
 * resync for scripts and agents ("are my credentials synced?"). Values are never printed: for a
 * value, an agent in the sandbox reads its own mounted Secret.
 */
import type { Cluster } from '../../core/kube/cluster';
import { TerrariumError } from '../../core/kube/errors';
import { SecretShapes } from '../../core/secrets/destinations';
import { buildPanelState } from '../../core/secrets/panelModel';
import { isReconciled, requestResync, waitPastLastCheck } from '../../core/secrets/resync';
import { readVso, readVsoSecrets, SECRET_KINDS, vsoPath, type VsoKind, type VsoObject } from '../../core/secrets/vsoResources';
import { getJson } from '../../core/kube/request';
import { kubeOp, VSO_OPS } from '../../core/kube/ops';
import type { PanelState } from '../../shared/protocol';
import { UsageError } from '../args';
import { clusterFor, where } from '../cluster';
import type { CommandHandler } from '../commandTypes';
import { formatAge, formatTable, jsonText } from '../output';

async function secretStates(cluster: Cluster, signal: AbortSignal, now: Date): Promise<PanelState> {
  const { vso, warnings, destinations } = await readVsoSecrets(cluster, new SecretShapes(cluster), signal);
  if (vso.status === 'forbidden' || vso.status === 'error') throw new TerrariumError(vso.status === 'forbidden' ? 'Forbidden' : 'Unknown', vso.message ?? 'Could not read the Vault Secrets Operator resources.');
  return buildPanelState({
    context: cluster.context, namespace: cluster.namespace, environment: '', sandboxes: [], maxReplicas: 0, vso, destinations, warnings,
    previousMACs: new Map(), resyncs: new Map(), plainSecrets: [], now,
  });
}

export const secretsListCommand: CommandHandler = async ({ globals, values }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const st = await secretStates(cluster, ctx.signal, ctx.now());
  const allSynced = st.secrets.every((s) => s.state === 'synced');
  const code = values.check && (st.vso !== 'installed' || !allSynced) ? 1 : 0;
  if (globals.json) {
    ctx.stdout.write(jsonText({
      context: st.context, namespace: st.namespace, vso: st.vso, message: st.vsoMessage ?? null,
      secrets: st.secrets.map((s) => ({
        kind: s.kind, name: s.name, state: s.state, detail: s.detail, source: s.source, destination: s.destination, keys: s.keys,
        lastChanged: s.lastChanged ?? null, lastChecked: s.lastChecked ?? null, freshnessUnknown: s.freshnessUnknown,
        warnings: s.warnings, dependencies: s.dependencies,
      })),
    }));
    return code;
  }
  if (st.vso === 'not-installed') {
    ctx.stdout.write(`${st.vsoMessage}\nInstall it with Helm: helm install vault-secrets-operator hashicorp/vault-secrets-operator -n vault-secrets-operator-system --create-namespace\n`);
    return code;
  }
  if (!st.secrets.length) {
    ctx.stdout.write(`No Vault-synced secrets${where(cluster)}.\n`);
    return code;
  }
  const now = ctx.now();
  ctx.stdout.write(formatTable(['NAME', 'KIND', 'STATE', 'SECRET', 'CHANGED', 'DETAIL'],
    st.secrets.map((s) => [s.name, s.kind, s.state, s.destination, s.lastChanged ? formatAge(s.lastChanged, now) : '-', s.state === 'synced' ? '' : s.detail.replace(/\s+/g, ' ').slice(0, 160)])));
  return code;
};

const KIND_BY_WORD = new Map<string, VsoKind>(SECRET_KINDS.flatMap((k) => [[k.toLowerCase(), k], [`${k.toLowerCase()}s`, k]] as [string, VsoKind][]));

export const secretsResyncCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const arg = positionals[0]!;
  const [word, name] = arg.includes('/') ? arg.split('/', 2) as [string, string] : [undefined, arg];
  const wanted = word === undefined ? undefined : KIND_BY_WORD.get(word.toLowerCase());
  if (word !== undefined && !wanted) throw new UsageError(`"${word}" is not a Vault secret kind: use vaultstaticsecret, vaultdynamicsecret or vaultpkisecret.`, usage);
  const cluster = clusterFor(globals, ctx);
  const vso = await readVso(cluster, ctx.signal);
  if (vso.status !== 'installed') throw new TerrariumError(vso.status === 'forbidden' ? 'Forbidden' : 'NotFound', vso.message ?? 'The Vault Secrets Operator is not available.');
  const matches = vso.secrets.filter((s) => s.metadata.name === name && (!wanted || s.kind === wanted));
  if (!matches.length) throw new TerrariumError('NotFound', `There is no ${wanted ?? 'Vault secret'} "${name}"${where(cluster)}.`, 'Run "terrarium secrets list" to see them.');
  if (matches.length > 1) throw new UsageError(`"${name}" names ${matches.map((m) => m.kind).join(' and ')}: say which, e.g. ${matches[0]!.kind.toLowerCase()}/${name}.`, usage);
  const obj = matches[0]!;
  if (obj.kind !== 'VaultStaticSecret' && !values.yes) {
    throw new TerrariumError('InvalidInput', `Resyncing ${obj.kind} "${name}" makes Vault issue new ${obj.kind === 'VaultPKISecret' ? 'certificates' : 'credentials'}.`, 'Add --yes if that is what you want.');
  }
  await waitPastLastCheck(obj, ctx.now().getTime());
  const req = await requestResync(cluster, obj.kind, name, ctx.now(), ctx.signal);
  let reconciled: boolean | undefined;
  if (values.wait) {
    reconciled = false;
    const deadline = Date.now() + 60_000;
    while (!reconciled && Date.now() < deadline && !ctx.signal.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      const cur = await kubeOp(cluster, VSO_OPS[obj.kind as (typeof SECRET_KINDS)[number]].read, { name },
        () => getJson<VsoObject>(cluster.kc, vsoPath(cluster.namespace, obj.kind, name), {}, ctx.signal), { signal: ctx.signal });
      reconciled = isReconciled({ ...cur, kind: obj.kind }, req);
    }
  }
  if (globals.json) {
    ctx.stdout.write(jsonText({ kind: obj.kind, name, requestedAt: req.requestedAt, reconciled: reconciled ?? null }));
  } else {
    ctx.stdout.write(`Asked the operator to resync ${obj.kind} "${name}" at ${req.requestedAt}.`
      + (reconciled === undefined ? ' (Use --wait to wait for it.)\n' : reconciled ? ' It has reconciled.\n' : ' It has not reconciled within 60 s: is the operator running?\n'));
  }
  return reconciled === false ? 1 : 0;
};
