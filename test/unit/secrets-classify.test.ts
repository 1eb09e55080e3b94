import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySecret, parseDuration, rotationMarkOf, type VsoSecretLike } from '../../src/core/secrets/classify';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
const vss = (over: Partial<VsoSecretLike> = {}, conds: Record<string, [string, number, string?]> = {}): VsoSecretLike => ({
  kind: 'VaultStaticSecret', metadata: { name: 'db', generation: 2 }, spec: { refreshAfter: '60s', destination: { name: 'db-creds' } },
  status: { lastGeneration: 2, secretMAC: 'mac1', conditions: Object.entries(conds).map(([type, [status, t, message]]) => ({ type, status, lastTransitionTime: ago(t), message })) },
  ...over,
});
const healthy = { SecretSynced: ['True', 300] as [string, number], Healthy: ['True', 10] as [string, number], Ready: ['True', 10] as [string, number] };

test('durations as VSO writes them', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration(''), undefined);
  assert.equal(parseDuration('soon'), undefined);
});

test('pending: no conditions yet, or lastGeneration behind generation', () => {
  assert.equal(classifySecret({ secret: vss({ status: {} }), now }).state, 'pending');
  const behind = vss({}, healthy);
  behind.status!.lastGeneration = 1;
  assert.equal(classifySecret({ secret: behind, now }).state, 'pending');
});

test('synced: Ready and recently checked; last changed is SecretSynced\'s time, not Healthy\'s', () => {
  const c = classifySecret({ secret: vss({}, healthy), destinationExists: true, now });
  assert.equal(c.state, 'synced');
  assert.equal(c.lastChanged, ago(300));
  assert.equal(c.lastChecked, ago(10));
});

test('quirk: SecretSynced False with an old error while Healthy is True again is not failed', () => {
  const c = classifySecret({ secret: vss({}, { ...healthy, SecretSynced: ['False', 400, 'Failed to sync the secret, horizon=1m, err=permission denied'] }), now });
  assert.equal(c.state, 'synced');
});

test('failed: Ready or Healthy False, with the SecretSynced message or the newest Warning event', () => {
  const c = classifySecret({ secret: vss({}, { SecretSynced: ['False', 5, 'Failed to sync the secret, horizon=1m, err=<script>alert(1)</script> permission denied'], Healthy: ['False', 5], Ready: ['False', 5] }), now });
  assert.equal(c.state, 'failed');
  assert.match(c.detail, /permission denied/);
  const w = classifySecret({ secret: vss({}, { Healthy: ['False', 5], Ready: ['False', 5] }), latestWarning: 'VaultClientError: 403', now });
  assert.equal(w.detail, 'VaultClientError: 403');
});

test('stale: Healthy True but not checked for more than 2 x horizon + 30 s', () => {
  const c = classifySecret({ secret: vss({}, { ...healthy, Healthy: ['True', 200], Ready: ['True', 200] }), now });
  assert.equal(c.state, 'stale');
  assert.match(c.detail, /is the operator running/);
  // Default horizon with HMAC on and no refreshAfter is 60 s.
  assert.equal(classifySecret({ secret: vss({ spec: {} }, { ...healthy, Healthy: ['True', 100], Ready: ['True', 100] }), now }).state, 'synced');
});

test('freshness unknown: HMAC off and no refreshAfter means the operator syncs once', () => {
  const c = classifySecret({ secret: vss({ spec: { hmacSecretData: false } }, { ...healthy, Healthy: ['True', 99999], Ready: ['True', 99999] }), now });
  assert.equal(c.state, 'synced');
  assert.equal(c.freshnessUnknown, true);
});

test('missing: the destination Secret is gone (the operator reports nothing about it)', () => {
  const c = classifySecret({ secret: vss({ spec: { refreshAfter: '60s', destination: { name: 'db-creds', create: false } } }, healthy), destinationExists: false, now });
  assert.equal(c.state, 'missing');
  assert.match(c.detail, /db-creds.*create is false/);
});

test('rotated: secretMAC changed since the last look', () => {
  assert.equal(classifySecret({ secret: vss({}, healthy), previousMAC: 'mac0', now }).rotated, true);
  assert.equal(classifySecret({ secret: vss({}, healthy), previousMAC: 'mac1', now }).rotated, false);
});

test('a Warning event newer than the last status write is the current truth (VaultDynamicSecret without a Vault client writes no status)', () => {
  const vds = (status: VsoSecretLike['status']): VsoSecretLike => ({ kind: 'VaultDynamicSecret', metadata: { name: 'db', generation: 1 }, spec: { destination: { name: 'db' } }, status });
  const msg = 'Failed to get Vault client: vaultauths.secrets.hashicorp.com "nope" not found';
  // Never synced: failed with the event's message, not "pending".
  const none = classifySecret({ secret: vds({}), latestWarning: msg, latestWarningTime: ago(3), now });
  assert.equal(none.state, 'failed');
  assert.equal(none.detail, msg);
  // Synced before, Healthy still True from then: the newer warning wins.
  const conds = [{ type: 'SecretSynced', status: 'True', lastTransitionTime: ago(60) }, { type: 'Healthy', status: 'True', lastTransitionTime: ago(60) }, { type: 'Ready', status: 'True', lastTransitionTime: ago(60) }];
  const lease = { id: 'database/creds/dev/abc', duration: 3600 };
  assert.equal(classifySecret({ secret: vds({ lastGeneration: 1, secretLease: lease, conditions: conds }), latestWarning: msg, latestWarningTime: ago(3), now }).state, 'failed');
  // A warning from before the last write is history, not the state.
  assert.equal(classifySecret({ secret: vds({ lastGeneration: 1, secretLease: lease, conditions: conds }), latestWarning: msg, latestWarningTime: ago(61), now }).state, 'synced');
  assert.equal(classifySecret({ secret: vds({ lastGeneration: 1, secretLease: lease, conditions: conds }), latestWarning: msg, latestWarningTime: ago(60), now }).state, 'synced', 'same second as the write');
});

test('freshness per kind: a dynamic secret is checked at its lease renewal, a certificate only when due; neither is stale after 60 s', () => {
  const c = (kind: string, secondsAgo: number, status: object, spec: object = {}): VsoSecretLike => ({
    kind, metadata: { name: 'x', generation: 1 }, spec: { destination: { name: 'x' }, ...spec },
    status: { lastGeneration: 1, ...status, conditions: ['SecretSynced', 'Healthy', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: ago(secondsAgo) })) },
  });
  // Lease 1 h, renewalPercent 67: renewed after about 40-44 min; stale only past twice that.
  const lease = { secretLease: { id: 'l', duration: 3600 } };
  assert.equal(classifySecret({ secret: c('VaultDynamicSecret', 3000, lease), now }).state, 'synced');
  assert.equal(classifySecret({ secret: c('VaultDynamicSecret', 6000, lease), now }).state, 'stale');
  assert.equal(classifySecret({ secret: c('VaultDynamicSecret', 6000, lease, { renewalPercent: 90 }), now }).state, 'synced');
  // A 24 h certificate issued 2 h ago is fine; one past its expiry (minus expiryOffset) is stale.
  const exp = (fromNow: number) => ({ serialNumber: 's', expiration: Math.floor(now.getTime() / 1000) + fromNow });
  assert.equal(classifySecret({ secret: c('VaultPKISecret', 7200, exp(22 * 3600)), now }).state, 'synced');
  assert.equal(classifySecret({ secret: c('VaultPKISecret', 7200, exp(-120)), now }).state, 'stale');
  assert.equal(classifySecret({ secret: c('VaultPKISecret', 7200, exp(100), { expiryOffset: '5m' }), now }).state, 'stale');
});

test('rotation marks: secretMAC for static secrets, the lease id for dynamic credentials, the serial for certificates', () => {
  assert.equal(rotationMarkOf({ kind: 'VaultStaticSecret', metadata: { name: 'a' }, status: { secretMAC: 'm' } }), 'm');
  assert.equal(rotationMarkOf({ kind: 'VaultDynamicSecret', metadata: { name: 'a' }, status: { secretLease: { id: 'lease-1' } } }), 'lease-1');
  assert.equal(rotationMarkOf({ kind: 'VaultPKISecret', metadata: { name: 'a' }, status: { serialNumber: '0a:0b', secretMAC: 'm' } }), '0a:0b');
  const vds: VsoSecretLike = { kind: 'VaultDynamicSecret', metadata: { name: 'db', generation: 1 }, status: { lastGeneration: 1, secretLease: { id: 'lease-2', duration: 3600 }, conditions: [{ type: 'Healthy', status: 'True', lastTransitionTime: ago(1) }, { type: 'Ready', status: 'True', lastTransitionTime: ago(1) }] } };
  assert.equal(classifySecret({ secret: vds, previousMAC: 'lease-1', now }).rotated, true);
});
