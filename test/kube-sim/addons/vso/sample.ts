/** The VSO part of the playground's sample (and a ready-made set of VSO objects for tests). */
import type { ObjectInput } from '../../machinery/types';
import { API_VERSION, DEFAULT_ADDRESS, type VsoControls } from './standIn';
import type { VsoKind as Kind } from './crds';

/**
 * The playground's VSO objects: vault data, a connection and auth, and one secret of each kind
 * plus one whose Vault path is denied (so the panel has a failed row). Writes straight into storage (sim.objects).
 * Every secret names its VaultAuth: an empty vaultAuthRef means "default" in the operator's namespace.
 */
export async function createVsoSample(sim: { objects: { create(resource: string, obj: ObjectInput): unknown }; vso: VsoControls & { settle?(): Promise<void> } }, namespace: string, environment: string): Promise<void> {
  sim.vso.vault.write('secret/app/config', { API_URL: 'https://api.internal.example', FEATURE_FLAGS: 'agents,tmux' });
  sim.vso.vault.deny('secret/legacy/token');
  const make = (kind: Kind, name: string, spec: object) =>
    sim.objects.create(kind, { apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec });
  make('VaultConnection', 'default', { address: DEFAULT_ADDRESS });
  make('VaultAuth', 'default', { method: 'kubernetes', mount: 'kubernetes', kubernetes: { role: 'devenv', serviceAccount: 'default' }, vaultConnectionRef: 'default' });
  make('VaultStaticSecret', 'app-config', {
    mount: 'secret', type: 'kv-v2', path: 'app/config', refreshAfter: '30s', destination: { name: 'app-config', create: true }, vaultAuthRef: 'default',
  });
  make('VaultDynamicSecret', 'db-creds', {
    mount: 'database', path: 'creds/devenv', refreshAfter: '1h', destination: { name: 'db-creds', create: true }, vaultAuthRef: 'default',
    rolloutRestartTargets: [{ kind: 'StatefulSet', name: environment }],
  });
  make('VaultPKISecret', 'sample-tls', { mount: 'pki', role: 'devenv', commonName: 'sample.devenv.svc', ttl: '24h', destination: { name: 'sample-tls', create: true }, vaultAuthRef: 'default' });
  make('VaultStaticSecret', 'legacy-token', { mount: 'secret', type: 'kv-v2', path: 'legacy/token', destination: { name: 'legacy-token', create: true }, vaultAuthRef: 'default' });
  await sim.vso.settle?.();
}
