import { getEnvironment, listSandboxes, scaleEnvironment, setEnvironmentResources } from '../devenv/operations';
import { hostKeySecretName } from '../devenv/names';
import { setWarmSpares } from '../devenv/warmSpares';
import { MAX_REPLICAS_SOURCE, validateRequestLimit } from '../devenv/validate';
import type { Environment, Sandbox } from '../devenv/types';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { findOp, OPS } from '../kube/ops';
import { parseWebviewMessage, type PanelState, type PanelToWebview, type PlainSecretView, type SecretKind, type WebviewToPanel } from '../../shared/protocol';
import { SecretShapes, shapesOf } from './destinations';
import { rotationMarkOf, type VsoSecretLike } from './classify';
import { buildPanelState, referencedSecretNames, sandboxesStoppedBy, secretKey } from './panelModel';
import { isTerrariumManagedSecret, refuseManagedSecret } from './managed';
import { readSecretValue } from './reveal';
import { requestResync, waitPastLastCheck, ResyncLimiter, type ResyncRequest } from './resync';
import { readVsoSecrets, type VsoSnapshot } from './vsoResources';

/**
 * The Secrets & Scaling panel's logic, free of VS Code: reads the cluster, builds the state, and
 * acts on (validated) webview messages. The extension adapter gives it a way to post, confirm,
 * copy and log. Secret values exist only inside reveal/copy handling, for the one reply.
 */
export interface PanelHost {
  post(msg: PanelToWebview): void;
  /** A modal confirmation; true when the person chose `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  copyToClipboard(text: string): Promise<void>;
  info(message: string): void;
  warn(message: string): void;
}

export interface PanelControllerOptions {
  maxReplicas: number;
  /** Refresh period while visible (secret freshness is a matter of time). Default 5 s. */
  pollMs?: number;
  /** Faster period while a resync waits for the operator. Default 1 s. */
  resyncPollMs?: number;
  /** Give up waiting for a reconcile after this long. Default 60 s. */
  resyncTimeoutMs?: number;
  limiter?: ResyncLimiter;
  now?: () => Date;
}

export class SecretsPanelController {
  private visible = false;
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private inflight?: Promise<void>;
  private again = false;
  private readonly shapes: SecretShapes;
  private readonly previousMACs = new Map<string, string>();
  private readonly resyncs = new Map<string, ResyncRequest>();
  private readonly limiter: ResyncLimiter;
  private readonly now: () => Date;
  private last?: { state: PanelState; vso: VsoSnapshot; env?: Environment; sandboxes: Sandbox[] };
  private readonly abort = new AbortController();

  constructor(readonly cluster: Cluster, readonly environment: string, private readonly host: PanelHost, private readonly opts: PanelControllerOptions) {
    this.shapes = new SecretShapes(cluster);
    this.limiter = opts.limiter ?? new ResyncLimiter();
    this.now = opts.now ?? (() => new Date());
  }

  get state(): PanelState | undefined { return this.last?.state; }

  /** Polls only while the panel is visible; becoming visible refreshes at once. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) void this.refresh();
    else this.clearTimer();
  }

  private clearTimer(): void { if (this.timer) { clearTimeout(this.timer); this.timer = undefined; } }

  private schedule(): void {
    this.clearTimer();
    if (!this.visible || this.disposed) return;
    const waiting = [...this.resyncs.values()].some((r) => Date.now() - Date.parse(r.requestedAt) < (this.opts.resyncTimeoutMs ?? 60_000));
    const ms = waiting && this.hasUnreconciled() ? this.opts.resyncPollMs ?? 1000 : this.opts.pollMs ?? 5000;
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  private hasUnreconciled(): boolean {
    return !!this.last?.state.secrets.some((s) => s.resync && !s.resync.reconciled);
  }

  /** Reads everything and posts the state; calls during a refresh coalesce into one more. */
  refresh(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.inflight) { this.again = true; return this.inflight; }
    this.inflight = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again && !this.disposed);
      } finally {
        this.inflight = undefined;
        this.schedule();
      }
    })();
    return this.inflight;
  }

  private async readOnce(): Promise<void> {
    const signal = this.abort.signal;
    const c = this.cluster;
    let env: Environment | undefined, sandboxes: Sandbox[], vso: VsoSnapshot;
    try {
      // The environment and the secrets are independent reads: side by side.
      const [scaling, read] = await Promise.all([
        getEnvironment(c, this.environment, { signal }).then(
          async (e) => ({ env: e, sandboxes: await listSandboxes(c, this.environment, { signal }) }),
          (e) => { if (isTerrariumError(e, 'NotFound')) return { env: undefined, sandboxes: [] }; throw e; }),
        readVsoSecrets(c, this.shapes, signal),
      ]);
      ({ env, sandboxes } = scaling);
      vso = read.vso;
      const { warnings, destinations } = read;
      const plainSecrets = vso.status === 'installed' ? [] : await this.plainSecrets(signal);
      const state = buildPanelState({
        context: c.context, namespace: c.namespace, environment: this.environment, env, sandboxes, maxReplicas: this.opts.maxReplicas,
        vso, destinations, warnings, previousMACs: this.previousMACs, resyncs: this.resyncs, plainSecrets, now: this.now(),
      });
      // The MAC first seen by this panel: "rotated" then means "since you opened it", which stays true.
      for (const s of vso.secrets) {
        const k = secretKey(s.kind, s.metadata.name);
        const mark = rotationMarkOf(s as VsoSecretLike);
        if (mark && !this.previousMACs.has(k)) this.previousMACs.set(k, mark);
      }
      this.forgetFinishedResyncs(vso);
      this.last = { state, vso, env, sandboxes };
      if (!this.disposed) this.host.post({ type: 'state', state });
    } catch (e) {
      if (this.disposed || isTerrariumError(e, 'Cancelled')) return;
      const message = isTerrariumError(e) ? e.text : `Unexpected error: ${e instanceof Error ? e.message : String(e)}`;
      this.host.warn(`Secrets & Scaling ${this.environment}: refresh failed: ${message}`);
      const state: PanelState = this.last
        ? { ...this.last.state, error: message, updatedAt: this.now().toISOString() }
        : { context: c.context, namespace: c.namespace, environment: this.environment, exists: true, vso: 'error', secrets: [], plainSecrets: [], updatedAt: this.now().toISOString(), error: message };
      this.host.post({ type: 'state', state });
    }
  }

  /** A resync's outcome stays on screen for a few minutes, then is forgotten. */
  private forgetFinishedResyncs(vso: VsoSnapshot): void {
    for (const [key, req] of this.resyncs) {
      const exists = vso.secrets.some((s) => secretKey(s.kind, s.metadata.name) === key);
      if (!exists || Date.now() - Date.parse(req.requestedAt) > 5 * 60_000) this.resyncs.delete(key);
    }
  }

  private async plainSecrets(signal: AbortSignal): Promise<PlainSecretView[]> {
    const sts = await findOp(this.cluster, OPS.readStatefulSet, { name: this.environment },
      (o) => this.cluster.apps.readNamespacedStatefulSet({ name: this.environment, namespace: this.cluster.namespace }, o), { signal });
    // The environment's own SSH host key is Terrarium's, not the user's: never offered for reveal.
    const names = referencedSecretNames(sts).filter((n) => n !== hostKeySecretName(this.environment));
    const shapes = await shapesOf(this.shapes, names, signal);
    return names.map((name) => {
      const { exists, keys, keysFrom } = shapes.get(name)!;
      return { name, exists, keys, ...(keysFrom ? { keysFrom } : {}) };
    });
  }

  /** Entry for every message from the webview: validated here, whatever the webview claims. */
  async handle(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.host.warn('Secrets & Scaling: ignored a malformed message from the webview.');
      return;
    }
    try {
      await this.dispatch(msg);
    } catch (e) {
      if (isTerrariumError(e, 'Cancelled')) return;
      const message = isTerrariumError(e) ? e.text : `Unexpected error: ${e instanceof Error ? e.message : String(e)}`;
      this.host.warn(`Secrets & Scaling ${this.environment}: ${msg.type} failed: ${message}`);
      if (msg.type === 'reveal') this.host.post({ type: 'revealFailed', requestId: msg.requestId, message });
      else this.host.post({ type: 'notice', level: 'error', message });
    }
  }

  private async dispatch(msg: WebviewToPanel): Promise<void> {
    switch (msg.type) {
      case 'ready':
      case 'refresh':
        return this.refresh();
      case 'resync':
        return this.resync(msg.kind, msg.secret);
      case 'reveal': {
        const value = await this.readValue(msg.secret, msg.key, 'reveal');
        this.host.post({ type: 'revealed', requestId: msg.requestId, secret: msg.secret, key: msg.key, value });
        return;
      }
      case 'copy': {
        await this.host.copyToClipboard(await this.readValue(msg.secret, msg.key, 'copy'));
        this.host.post({ type: 'notice', level: 'info', message: `Copied ${msg.key} of ${msg.secret} to the clipboard.` });
        return;
      }
      case 'scale':
        return this.scale(msg.replicas);
      case 'resources':
        return this.resources(msg.cpu, msg.memory);
      case 'warmSpares':
        return this.warmSpares(msg.warmSpares);
    }
  }

  /** Only Secrets this panel shows may be read: a forged name from the webview gets nothing. */
  private async readValue(secret: string, key: string, how: 'reveal' | 'copy'): Promise<string> {
    const state = this.last?.state;
    // Terrarium's own Secrets (the host key) are refused by name, whatever VSO object points at them.
    if (isTerrariumManagedSecret(secret) || state?.secrets.some((s) => s.destination === secret && s.destinationManaged)) throw refuseManagedSecret(secret);
    const shown = state && (state.secrets.some((s) => s.destination === secret && s.keys.includes(key))
      || state.plainSecrets.some((s) => s.name === secret && s.keys.includes(key)));
    if (!shown) {
      throw new TerrariumError('InvalidInput', `The panel does not show key "${key}" of Secret "${secret}".`, 'Refresh the panel and try again.');
    }
    return audited(this.cluster, { action: how, target: `secret/${secret}`, detail: { key } },
      () => readSecretValue(this.cluster, secret, key, this.abort.signal));
  }

  private async resync(kind: SecretKind, name: string): Promise<void> {
    const obj = this.last?.vso.secrets.find((s) => s.kind === kind && s.metadata.name === name);
    if (!obj) throw new TerrariumError('NotFound', `There is no ${kind} "${name}" in namespace "${this.cluster.namespace}".`, 'Refresh the panel: it may have been deleted.');
    if (kind !== 'VaultStaticSecret') {
      const what = kind === 'VaultPKISecret' ? 'a new certificate and private key' : 'new credentials';
      const restarts = this.last?.state.secrets.find((s) => s.kind === kind && s.name === name)?.restartsThisEnvironment;
      const ok = await this.host.confirm(`Resync ${name}? Vault issues ${what}.`,
        `${kind} resync asks the operator to fetch ${what} now; the old ones stop working when their lease ends.`
        + (restarts ? ` Its rolloutRestartTargets name ${this.environment}: every sandbox restarts and tmux sessions end (workspaces are kept).` : ''),
        'Resync');
      if (!ok) return;
    }
    const key = secretKey(kind, name);
    this.limiter.take(`${kind} ${name}`);
    await waitPastLastCheck(obj, this.now().getTime());
    const req = await requestResync(this.cluster, kind, name, this.now(), this.abort.signal);
    this.resyncs.set(key, req);
    await this.refresh();
  }

  private async scale(replicas: number): Promise<void> {
    if (replicas > this.opts.maxReplicas) {
      throw new TerrariumError('InvalidInput', `${replicas} sandboxes is above the limit of ${this.opts.maxReplicas}.`, `${MAX_REPLICAS_SOURCE}.`);
    }
    const current = this.last?.env?.desired;
    if (current === replicas) return;
    const stopping = sandboxesStoppedBy(this.last?.sandboxes ?? [], replicas);
    if (stopping.length) {
      const claimed = stopping.filter((s) => s.claimedBy).map((s) => `${s.name} (claimed by ${s.claimedBy})`);
      const ok = await this.host.confirm(`Scale ${this.environment} to ${replicas}? ${stopping.length === 1 ? 'This sandbox stops' : `${stopping.length} sandboxes stop`}: ${stopping.map((s) => s.name).join(', ')}.`,
        `Their workspaces (${stopping.map((s) => s.pvc).join(', ')}) are kept and come back when you scale up again. Running processes and tmux sessions in them end.`
        + (claimed.length ? ` Claimed: ${claimed.join(', ')}.` : ''), replicas === 0 ? 'Stop All' : 'Scale Down');
      if (!ok) return;
    }
    const target = this.environment;
    // scaleEnvironment records the audit entry itself.
    await scaleEnvironment(this.cluster, target, replicas, { maxReplicas: this.opts.maxReplicas, signal: this.abort.signal });
    this.host.info(`Scaled ${target} to ${replicas}.`);
    await this.refresh();
  }

  /** Keeps N ready, unclaimed sandboxes (the annotation the controller acts on). */
  private async warmSpares(n: number): Promise<void> {
    if (n > this.opts.maxReplicas) {
      throw new TerrariumError('InvalidInput', `${n} warm spares is above the limit of ${this.opts.maxReplicas}.`, `${MAX_REPLICAS_SOURCE}.`);
    }
    const r = await setWarmSpares(this.cluster, this.environment, n, { signal: this.abort.signal });
    this.host.info(`${this.environment} keeps ${n} warm spare${n === 1 ? '' : 's'}${r.previous !== undefined && r.previous !== n ? ` (was ${r.previous})` : ''}.`);
    await this.refresh();
  }

  private async resources(cpu: { request?: string; limit?: string }, memory: { request?: string; limit?: string }): Promise<void> {
    // Validate before asking: a confirmation for something the API will refuse wastes a click.
    validateRequestLimit(cpu, 'cpu');
    validateRequestLimit(memory, 'memory');
    const env = this.last?.env;
    const show = (v: { request?: string; limit?: string }) => `${v.request ?? '-'} / ${v.limit ?? '-'}`;
    const ok = await this.host.confirm(`Change ${this.environment}'s resources? cpu ${show(cpu)}, memory ${show(memory)} (request / limit).`,
      `Every running sandbox is replaced, one at a time, to apply this${env ? ` (${env.desired} now)` : ''}. Workspaces are kept; running processes and tmux sessions end.`, 'Apply');
    if (!ok) return;
    await setEnvironmentResources(this.cluster, this.environment, { cpu, memory }, { signal: this.abort.signal });
    await this.refresh();
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
    this.abort.abort();
  }
}
