/**
 * The Secrets & Scaling webview. Renders PanelState with DOM APIs only: every string from the
 * cluster goes through text nodes (never innerHTML), so a hostile condition message stays text.
 * Revealed values live in one in-memory map until hidden; they are never put in vscode.setState
 * (which persists only the panel's identity) and never sent back to the extension.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import './panel.css';
import { isQuantity } from '../src/shared/protocol';
import type {
  PanelIdentity, PanelState, PanelToWebview, PlainSecretView, RequestLimitView, ScalingView, SecretStateName, SecretView, WebviewToPanel,
} from '../src/shared/protocol';

declare function acquireVsCodeApi(): { postMessage(msg: WebviewToPanel): void; setState(s: PanelIdentity): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;
const post = (msg: WebviewToPanel) => vscode.postMessage(msg);

let state: PanelState | undefined;
let notice: { level: 'info' | 'error'; message: string; at: number } | undefined;
/** Revealed values by "secret\0key": memory only, until hidden. */
const revealed = new Map<string, string>();
const pendingReveals = new Map<number, string>();
let nextRequest = 1;
/** What the person typed and has not applied yet: kept across live refreshes. */
const drafts = new Map<string, string>();

type Child = Node | string | undefined | false;
function h(tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

function button(id: string, label: string, opts: { icon?: string; secondary?: boolean; disabled?: boolean; title?: string; onClick: () => void }): HTMLElement {
  const b = h('vscode-button', { id, icon: opts.icon, secondary: opts.secondary, disabled: opts.disabled, title: opts.title, 'aria-label': opts.title ?? label }, label);
  b.addEventListener('click', () => { if (!opts.disabled) opts.onClick(); });
  return b;
}

function field(id: string, label: string, value: string, opts: { type?: string; min?: number; max?: number; placeholder?: string; error?: string } = {}): HTMLElement {
  const input = h('vscode-textfield', { id, type: opts.type, min: opts.min?.toString(), max: opts.max?.toString(), placeholder: opts.placeholder, invalid: !!opts.error, 'aria-describedby': opts.error ? `${id}-error` : undefined }) as HTMLElement & { value: string };
  input.value = drafts.get(id) ?? value;
  input.addEventListener('input', () => { drafts.set(id, input.value); validateForms(); });
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, h('span', { class: 'error', id: `${id}-error`, role: 'alert' }, opts.error ?? ''));
}

const inputValue = (id: string) => ((document.getElementById(id) as (HTMLElement & { value?: string }) | null)?.value ?? '').trim();

const time = (iso?: string) => (iso ? new Date(iso).toLocaleTimeString() : '—');
const dateTime = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '—');

const STATE_ICON: Record<SecretStateName, string> = { synced: 'pass', stale: 'history', failed: 'error', pending: 'loading', missing: 'question', unknown: 'circle-outline' };

function render(): void {
  if (!state) { root.replaceChildren(h('p', { class: 'muted' }, 'Loading…')); return; }
  const focused = document.activeElement?.id;
  vscode.setState({ context: state.context, namespace: state.namespace, environment: state.environment });
  root.replaceChildren(...[
    h('header', {},
      h('h1', {}, `Secrets & Scaling: ${state.environment}`),
      h('p', { class: 'muted' }, `namespace ${state.namespace} · context ${state.context} · `, h('span', { id: 'updated' }, `updated ${time(state.updatedAt)}`)),
      button('refresh', 'Refresh', { icon: 'refresh', secondary: true, onClick: () => post({ type: 'refresh' }) })),
    notice ? h('div', { class: `notice ${notice.level}`, role: notice.level === 'error' ? 'alert' : 'status', id: 'notice' }, notice.message) : undefined,
    state.error ? h('div', { class: 'notice error', role: 'alert', id: 'refresh-error' }, `Could not refresh: ${state.error}`) : undefined,
    state.exists ? scalingSection(state.scaling) : h('p', { class: 'notice error', id: 'gone' }, `The environment ${state.environment} does not exist in namespace ${state.namespace} (any more).`),
    secretsSection(state),
  ].filter((x): x is HTMLElement => !!x));
  if (focused) document.getElementById(focused)?.focus();
  validateForms();
}

function scalingSection(s: ScalingView | undefined): HTMLElement {
  if (!s) return h('section', {}, h('h2', {}, 'Scaling'), h('p', { class: 'muted' }, 'Reading…'));
  const rl = (v: RequestLimitView) => `${v.request ?? '—'} request / ${v.limit ?? '—'} limit`;
  return h('section', { 'aria-labelledby': 'scaling-title', id: 'scaling' },
    h('h2', { id: 'scaling-title' }, 'Scaling'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Sandboxes'), h('dd', { id: 'replicas-summary' }, `${s.ready} of ${s.desired} ready`),
      h('dt', {}, 'Warm spares'), h('dd', { id: 'warm-spares' }, `${s.warmSpares} ready and unclaimed`
        + (s.warmSparesTarget === undefined ? ' (no warm pool kept)' : ` (keeps ${s.warmSparesTarget})`)),
      h('dt', {}, 'Status'), h('dd', {}, s.status),
      h('dt', {}, 'CPU'), h('dd', {}, rl(s.cpu)),
      h('dt', {}, 'Memory'), h('dd', {}, rl(s.memory)),
      h('dt', {}, 'Workspace storage'), h('dd', {}, `${s.storage.size ?? '—'}${s.storage.className ? ` (${s.storage.className})` : ''}, fixed at creation`)),
    h('form', { class: 'row', id: 'scale-form', 'aria-label': 'Change the number of sandboxes' },
      field('replicas', 'Sandboxes wanted', String(s.desired), { type: 'number', min: 0, max: s.maxReplicas }),
      button('scale-apply', 'Scale', { icon: 'layers', onClick: applyScale })),
    h('form', { class: 'row', id: 'warm-form', 'aria-label': 'Change how many warm spares are kept' },
      field('warm-target', 'Warm spares', String(s.warmSparesTarget ?? 0), { type: 'number', min: 0, max: s.maxReplicas }),
      button('warm-apply', 'Keep', { icon: 'flame', onClick: applyWarmSpares }),
      h('p', { class: 'muted' }, 'Ready, unclaimed sandboxes kept for whoever claims next: the Terrarium controller starts or trims them.')),
    h('form', { class: 'row', id: 'resources-form', 'aria-label': 'Change requests and limits' },
      field('cpu-request', 'CPU request', s.cpu.request ?? '', { placeholder: '500m' }),
      field('cpu-limit', 'CPU limit', s.cpu.limit ?? '', { placeholder: '2' }),
      field('memory-request', 'Memory request', s.memory.request ?? '', { placeholder: '1Gi' }),
      field('memory-limit', 'Memory limit', s.memory.limit ?? '', { placeholder: '4Gi' }),
      button('resources-apply', 'Apply', { icon: 'check', onClick: applyResources })),
    h('table', { id: 'sandboxes' },
      h('caption', {}, 'Sandboxes'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Sandbox'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Claimed by'), h('th', { scope: 'col' }, 'Workspace'))),
      h('tbody', {}, ...(s.sandboxes.length ? s.sandboxes.map((x) => h('tr', { 'data-sandbox': x.name },
        h('td', {}, x.name),
        h('td', {}, x.phase, x.reason ? ` · ${x.reason}` : '', x.message ? h('div', { class: 'muted' }, x.message) : undefined),
        h('td', {}, x.claimedBy ?? 'free (warm spare)'),
        h('td', {}, x.workspace))) : [h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'No sandboxes running: scale up to start some.'))]))),
    s.keptWorkspaces.length ? h('p', { class: 'muted', id: 'kept' }, `Kept workspaces of stopped sandboxes: ${s.keptWorkspaces.join(', ')}. They come back when you scale up.`) : undefined,
  );
}

/** Inline validation: the Apply buttons stay disabled with a reason until the input is valid. */
function validateForms(): void {
  const s = state?.scaling;
  if (!s) return;
  const n = inputValue('replicas');
  const replicasError = !/^\d+$/.test(n) ? 'Enter a whole number.' : Number(n) > s.maxReplicas ? `At most ${s.maxReplicas} (terrarium.maxReplicas).` : '';
  setError('replicas', replicasError);
  setDisabled('scale-apply', !!replicasError || Number(n) === s.desired);
  const w = inputValue('warm-target');
  const warmError = !/^\d+$/.test(w) ? 'Enter a whole number.' : Number(w) > s.maxReplicas ? `At most ${s.maxReplicas}.` : '';
  setError('warm-target', warmError);
  setDisabled('warm-apply', !!warmError || Number(w) === (s.warmSparesTarget ?? 0));
  let resourcesError = false;
  for (const id of ['cpu-request', 'cpu-limit', 'memory-request', 'memory-limit']) {
    const v = inputValue(id);
    const err = v && !isQuantity(v) ? `Not a quantity (e.g. ${id.startsWith('cpu') ? '500m' : '2Gi'}).` : '';
    setError(id, err);
    resourcesError ||= !!err;
  }
  const unchanged = inputValue('cpu-request') === (s.cpu.request ?? '') && inputValue('cpu-limit') === (s.cpu.limit ?? '')
    && inputValue('memory-request') === (s.memory.request ?? '') && inputValue('memory-limit') === (s.memory.limit ?? '');
  setDisabled('resources-apply', resourcesError || unchanged);
}

function setError(id: string, message: string): void {
  const el = document.getElementById(`${id}-error`);
  if (el && el.textContent !== message) el.textContent = message;
  (document.getElementById(id) as (HTMLElement & { invalid?: boolean }) | null)?.toggleAttribute('invalid', !!message);
}
function setDisabled(id: string, disabled: boolean): void { document.getElementById(id)?.toggleAttribute('disabled', disabled); }

function applyScale(): void {
  const v = inputValue('replicas');
  if (!/^\d+$/.test(v)) return;
  drafts.delete('replicas');
  post({ type: 'scale', replicas: Number(v) });
}

function applyWarmSpares(): void {
  const v = inputValue('warm-target');
  if (!/^\d+$/.test(v)) return;
  drafts.delete('warm-target');
  post({ type: 'warmSpares', warmSpares: Number(v) });
}

function applyResources(): void {
  const rl = (prefix: string): RequestLimitView => {
    const request = inputValue(`${prefix}-request`), limit = inputValue(`${prefix}-limit`);
    return { ...(request ? { request } : {}), ...(limit ? { limit } : {}) };
  };
  for (const id of ['cpu-request', 'cpu-limit', 'memory-request', 'memory-limit']) drafts.delete(id);
  post({ type: 'resources', cpu: rl('cpu'), memory: rl('memory') });
}

function secretsSection(s: PanelState): HTMLElement {
  const body: Child[] = [h('h2', { id: 'secrets-title' }, 'Secrets from Vault')];
  if (s.vso === 'not-installed') {
    body.push(h('div', { class: 'notice', id: 'vso-missing', role: 'status' },
      h('p', {}, s.vsoMessage ?? 'The Vault Secrets Operator is not installed.'),
      h('p', {}, 'To sync secrets from HashiCorp Vault into this namespace, a cluster admin installs it with Helm:'),
      h('pre', {}, 'helm repo add hashicorp https://helm.releases.hashicorp.com\nhelm install vault-secrets-operator hashicorp/vault-secrets-operator \\\n  -n vault-secrets-operator-system --create-namespace'),
      h('p', {}, 'Then create a VaultConnection, a VaultAuth and VaultStaticSecrets in this namespace.')));
    body.push(plainSecrets(s.plainSecrets));
  } else if (s.vso === 'forbidden' || s.vso === 'error') {
    body.push(h('p', { class: 'notice error', id: 'vso-error', role: 'alert' }, s.vsoMessage ?? 'Could not read the Vault Secrets Operator resources.'));
  } else if (!s.secrets.length) {
    body.push(h('p', { class: 'muted', id: 'no-secrets' }, `No VaultStaticSecret, VaultDynamicSecret or VaultPKISecret in namespace ${s.namespace} yet.`));
  } else {
    body.push(h('p', { class: 'muted' }, 'Values stay hidden until you reveal one; Resync asks the operator to read Vault again now (through an annotation it reacts to, not a documented VSO API).'));
    body.push(...s.secrets.map(secretCard));
  }
  return h('section', { 'aria-labelledby': 'secrets-title', id: 'secrets' }, ...body);
}

function secretCard(x: SecretView): HTMLElement {
  const id = `secret-${x.kind}-${x.name}`;
  const fresh = x.kind === 'VaultStaticSecret' ? 'Resync' : x.kind === 'VaultPKISecret' ? 'Resync (new certificate)' : 'Resync (new credentials)';
  const waiting = x.resync && !x.resync.reconciled;
  return h('article', { class: `secret state-${x.state}`, id, 'aria-labelledby': `${id}-title`, 'data-state': x.state },
    h('div', { class: 'secret-head' },
      h('h3', { id: `${id}-title` }, h('vscode-icon', { name: STATE_ICON[x.state], spin: x.state === 'pending' ? true : undefined, 'aria-hidden': 'true' }), ` ${x.name}`),
      h('vscode-badge', { class: `state state-${x.state}`, 'data-testid': 'state' }, x.state),
      h('span', { class: 'muted' }, x.kind)),
    h('p', { class: 'detail', 'data-testid': 'detail' }, x.detail),
    x.restartsThisEnvironment ? h('p', { class: 'notice warning', role: 'note', 'data-testid': 'restart-warning' },
      h('vscode-icon', { name: 'warning', 'aria-hidden': 'true' }),
      ` When this secret rotates, the operator restarts ${state?.environment ?? 'this environment'} (rolloutRestartTargets): every sandbox restarts and its tmux sessions and agents stop. Workspaces are kept.`) : undefined,
    h('dl', { class: 'facts' },
      h('dt', {}, 'From Vault'), h('dd', {}, x.source),
      h('dt', {}, 'Kubernetes Secret'), h('dd', { 'data-testid': 'destination' }, x.destination, x.destinationManaged ? ' · managed by Terrarium, not revealable' : ''),
      h('dt', {}, 'Vault access'), h('dd', { 'data-testid': 'dependencies' }, x.dependencies.length
        ? x.dependencies.map((d) => `${d.kind} ${d.name}${d.valid === true ? ' (valid)' : d.valid === false ? ' (invalid)' : ''}`).join(' → ')
        : 'the operator\'s default VaultAuth'),
      h('dt', {}, 'Last changed'), h('dd', {}, `${dateTime(x.lastChanged)}${x.rotated ? ' · rotated since you opened this panel' : ''}`),
      h('dt', {}, 'Last checked'), h('dd', {}, x.freshnessUnknown ? 'freshness unknown (HMAC off, no refreshAfter: synced once)' : `${dateTime(x.lastChecked)}${x.refreshAfter ? ` · every ${x.refreshAfter}` : ''}`)),
    x.dependencies.some((d) => d.valid === false) ? h('ul', { class: 'deps' }, ...x.dependencies.filter((d) => d.valid === false)
      .map((d) => h('li', { class: 'error' }, `${d.kind} ${d.name}: ${d.problem ?? 'invalid'}`))) : undefined,
    x.warnings.length ? h('details', { class: 'events' },
      h('summary', {}, `${x.warnings.length} recent warning${x.warnings.length === 1 ? '' : 's'}`),
      h('ul', {}, ...x.warnings.map((w) => h('li', {}, h('strong', {}, w.reason), ` ${time(w.time)}${w.count > 1 ? ` (×${w.count})` : ''}: `, w.message)))) : undefined,
    x.destinationManaged ? h('p', { class: 'notice warning', role: 'note' }, 'This Secret is Terrarium\'s own (an environment\'s SSH host key or another of its objects): its keys are not listed and its values are never revealed.')
      : keysTable(x.destination, x.keys, id),
    keysFromNote(x.keysFrom),
    h('div', { class: 'row' },
      button(`${id}-resync`, fresh, { icon: 'sync', secondary: true, disabled: !!waiting, onClick: () => post({ type: 'resync', secret: x.name, kind: x.kind }) }),
      x.destinationManaged ? undefined : button(`${id}-give`, 'Give to sandboxes', { icon: 'key', secondary: true,
        title: `Give the Secret ${x.destination} to every sandbox (env vars or files under /run/secrets/${x.destination}); the sandboxes restart`,
        onClick: () => post({ type: 'give', secret: x.destination, source: { kind: x.kind, name: x.name } }) }),
      x.resync ? h('span', { class: 'muted', role: 'status', 'data-testid': 'resync-status' }, x.resync.reconciled
        ? `Reconciled: the operator checked it again after your request at ${time(x.resync.requestedAt)}.`
        : `Resync requested at ${time(x.resync.requestedAt)}; waiting for the operator…`) : undefined),
  );
}

function keysTable(secret: string, keys: string[], id: string): HTMLElement {
  if (!keys.length) return h('p', { class: 'muted' }, 'No keys to show (the Secret is missing, empty, or you may not read it).');
  return h('table', { class: 'keys', id: `${id}-keys` },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    h('tbody', {}, ...keys.map((key) => {
      const k = `${secret}\0${key}`;
      const value = revealed.get(k);
      const rid = `${id}-${key}`.replace(/[^A-Za-z0-9_-]/g, '_');
      return h('tr', { 'data-key': key },
        h('td', {}, h('code', {}, key)),
        h('td', {}, value !== undefined ? h('code', { class: 'value', 'data-testid': 'value' }, value) : h('span', { class: 'masked', 'aria-label': 'hidden value' }, '••••••••')),
        h('td', { class: 'actions' },
          value !== undefined
            ? button(`${rid}-hide`, 'Hide', { icon: 'eye-closed', secondary: true, title: `Hide ${key}`, onClick: () => { revealed.delete(k); render(); } })
            : button(`${rid}-reveal`, 'Reveal', { icon: 'eye', secondary: true, title: `Reveal ${key}`, onClick: () => reveal(secret, key) }),
          button(`${rid}-copy`, 'Copy', { icon: 'copy', secondary: true, title: `Copy ${key}`, onClick: () => post({ type: 'copy', secret, key }) })));
    })));
}

function plainSecrets(list: PlainSecretView[]): HTMLElement {
  if (!list.length) return h('p', { class: 'muted', id: 'plain-secrets' }, 'The environment references no Kubernetes Secrets.');
  return h('div', { id: 'plain-secrets' },
    h('h3', {}, 'Kubernetes Secrets the environment references'),
    ...list.map((p) => h('article', { class: 'secret', id: `plain-${p.name}` },
      h('h4', {}, p.name, p.exists ? '' : ' (missing)'),
      p.exists ? button(`plain-${p.name}-give`, 'Give to sandboxes', { icon: 'key', secondary: true,
        title: `Give the Secret ${p.name} to every sandbox; the sandboxes restart`, onClick: () => post({ type: 'give', secret: p.name }) }) : undefined,
      keysTable(p.name, p.keys, `plain-${p.name}`), keysFromNote(p.keysFrom))));
}

/** Key names normally come from metadata; say so when the panel had to read the Secret itself. */
function keysFromNote(from: string | undefined): HTMLElement | undefined {
  return from === 'fullRead' ? h('p', { class: 'muted', 'data-testid': 'keys-from' }, 'Key names from a full read of the Secret (its managedFields do not list them); values are not kept.') : undefined;
}

function reveal(secret: string, key: string): void {
  const requestId = nextRequest++;
  pendingReveals.set(requestId, `${secret}\0${key}`);
  post({ type: 'reveal', requestId, secret, key });
}

window.addEventListener('message', (e: MessageEvent<PanelToWebview>) => {
  const msg = e.data;
  switch (msg?.type) {
    case 'state': {
      // Live refreshes every few seconds: repaint only what changed, so focus, scroll and a
      // screen reader's place survive when nothing did.
      const same = state && JSON.stringify({ ...state, updatedAt: '' }) === JSON.stringify({ ...msg.state, updatedAt: '' });
      state = msg.state;
      if (same && !(notice && Date.now() - notice.at > 8000)) {
        const updated = document.getElementById('updated');
        if (updated) updated.textContent = `updated ${time(state.updatedAt)}`;
        return;
      }
      // A notice stays for a few refreshes, then gives way to live data.
      if (notice && Date.now() - notice.at > 8000) notice = undefined;
      break;
    }
    case 'revealed': {
      const k = pendingReveals.get(msg.requestId);
      pendingReveals.delete(msg.requestId);
      if (k !== `${msg.secret}\0${msg.key}`) return;
      revealed.set(k, msg.value);
      break;
    }
    case 'revealFailed':
      pendingReveals.delete(msg.requestId);
      notice = { level: 'error', message: msg.message, at: Date.now() };
      break;
    case 'notice':
      notice = { level: msg.level, message: msg.message, at: Date.now() };
      break;
    default:
      return;
  }
  render();
});

// Identity first, so a reload restores this panel even before the first state arrives.
try {
  const id = JSON.parse(document.body.dataset.identity ?? 'null') as PanelIdentity | null;
  if (id) vscode.setState(id);
} catch { /* no identity: the host sends it with the first state */ }
render();
post({ type: 'ready' });
