import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySecret, parseDuration, type VsoSecretLike } from '../../src/core/secrets/classify';

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
