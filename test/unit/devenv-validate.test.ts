import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TerrariumError } from '../../src/core/kube/errors';
import { validateCidr, validateName, validateReplicas, validateSandboxName, validateSpec } from '../../src/core/devenv';
import { maxReplicasFrom } from '../../src/core/devenv/validate';

function rejects(fn: () => void): TerrariumError {
  try { fn(); } catch (e) {
    assert.ok(e instanceof TerrariumError, `expected a TerrariumError, got ${String(e)}`);
    assert.equal(e.code, 'InvalidInput');
    return e;
  }
  assert.fail('expected the input to be rejected');
}

describe('environment names', () => {
  test('accepts RFC 1123 labels up to 52 characters', () => {
    for (const ok of ['web', 'team-dev', 'a', 'a1', 'x'.repeat(52), 'agent-42-sandbox']) validateName(ok);
  });

  test('explains the rule and gives an example', () => {
    const e = rejects(() => validateName('Team_Dev'));
    assert.equal(e.message, 'The environment name "Team_Dev" is not a valid Kubernetes name (RFC 1123 label).');
    assert.match(e.hint!, /lowercase letters, digits and "-"/);
    assert.match(e.hint!, /e\.g\. "team-dev"/);
  });

  test('rejects uppercase, underscores, dots, leading digits or dashes, trailing dashes and spaces', () => {
    for (const bad of ['Web', 'my_env', 'a.b', '1web', '-web', 'web-', 'my env', 'wéb', 'web\n']) rejects(() => validateName(bad));
  });

  test('says why 53 characters are too long', () => {
    const e = rejects(() => validateName('x'.repeat(53)));
    assert.match(e.message, /is 53 characters long; at most 52 fit into the names of its pods and workspaces/);
  });

  test('an empty name says so, naming what was asked for', () => {
    const e = rejects(() => validateName('', 'sandbox name'));
    assert.equal(e.message, 'The sandbox name is empty.');
  });

  test('sandbox names are <environment>-<ordinal>', () => {
    validateSandboxName('team-dev-0');
    validateSandboxName('web-12');
    const e = rejects(() => validateSandboxName('web'));
    assert.match(e.hint!, /<environment>-<ordinal>/);
    rejects(() => validateSandboxName('web-01'));
    rejects(() => validateSandboxName('Web-1'));
  });
});

describe('replicas', () => {
  test('accepts whole numbers from 0 to the maximum', () => {
    validateReplicas(0, 20);
    validateReplicas(20, 20);
    validateReplicas(3);
  });

  test('above the maximum names the setting that sets it', () => {
    const e = rejects(() => validateReplicas(21, 20));
    assert.equal(e.message, '21 is not a valid number of sandboxes: use a whole number from 0 to 20.');
    assert.match(e.hint!, /terrarium\.maxReplicas setting in VS Code, or TERRARIUM_MAX_REPLICAS for the CLI \(20\)/);
  });

  test('rejects negatives, fractions and NaN', () => {
    rejects(() => validateReplicas(-1, 20));
    rejects(() => validateReplicas(1.5, 20));
    const e = rejects(() => validateReplicas(Number('three'), 20));
    assert.match(e.message, /^That is not a valid number of sandboxes/);
  });
});

describe('the rest of a spec', () => {
  test('quantities, storage class, image and egress CIDRs are checked with the field named', () => {
    assert.match(rejects(() => validateSpec({ name: 'web', cpu: { request: 'lots' } })).message, /cpu request "lots" is not a Kubernetes quantity/);
    assert.match(rejects(() => validateSpec({ name: 'web', memory: { limit: '4 GB' } })).message, /memory limit/);
    assert.match(rejects(() => validateSpec({ name: 'web', storage: { size: '10GB!' } })).message, /storage size/);
    assert.match(rejects(() => validateSpec({ name: 'web', storage: { className: 'Fast SSD' } })).message, /storage class/);
    assert.match(rejects(() => validateSpec({ name: 'web', image: 'my image' })).message, /not an image reference/);
    assert.match(rejects(() => validateSpec({ name: 'web', egressAllow: ['10.0.0.0/33'] })).message, /egress allow-list entry "10.0.0.0\/33" is not a CIDR/);
    assert.match(rejects(() => validateSpec({ name: 'web', replicas: 30 }, 20)).message, /from 0 to 20/);
  });

  test('accepts the usual forms', () => {
    validateSpec({ name: 'web', replicas: 2, image: 'ghcr.io/x/y@sha256:abc', cpu: { request: '500m', limit: '2' }, memory: { request: '1Gi', limit: '1.5Gi' },
      storage: { size: '10Gi', className: 'standard-rwo' }, egressAllow: ['10.1.0.0/16', '192.168.0.7', '2001:db8::/32'] });
    validateCidr('0.0.0.0/0');
  });
});

test('requests above limits are refused before anything is sent, across units', async () => {
  const { validateRequestLimit } = await import('../../src/core/devenv/validate');
  const { isQuantity } = await import('../../src/shared/protocol');
  validateRequestLimit({ request: '500m', limit: '1' }, 'cpu');
  validateRequestLimit({ request: '512Mi', limit: '1Gi' }, 'memory');
  validateRequestLimit({ request: '1G', limit: '1Gi' }, 'memory'); // 10^9 < 2^30
  validateRequestLimit({ limit: '2' }, 'cpu');
  for (const [v, what] of [[{ request: '2', limit: '1500m' }, 'cpu'], [{ request: '2Gi', limit: '2G' }, 'memory'], [{ request: '1e3', limit: '999' }, 'cpu']] as const) {
    assert.throws(() => validateRequestLimit(v, what), (e: any) => e.code === 'InvalidInput' && /is above its limit/.test(e.message), JSON.stringify(v));
  }
  assert.throws(() => validateRequestLimit({ request: 'lots' }, 'cpu'), /not a Kubernetes quantity/);
  // The webview's inline check (the protocol's) accepts what the core accepts, and not the rest.
  for (const q of ['500m', '1', '1.5', '2Gi', '1e3', '+1']) assert.equal(isQuantity(q), true, q);
  for (const q of ['-1', '1GB', 'lots', '', '1 Gi']) assert.equal(isQuantity(q), false, q);
});

test('the sandbox limit names the VS Code setting and the CLI variable; TERRARIUM_MAX_REPLICAS sets the CLI limit', () => {
  assert.equal(maxReplicasFrom({}), 20);
  assert.equal(maxReplicasFrom({ TERRARIUM_MAX_REPLICAS: '50' }), 50);
  for (const bad of ['0', '-1', '1001', '2.5', 'many']) {
    assert.throws(() => maxReplicasFrom({ TERRARIUM_MAX_REPLICAS: bad }), (e: TerrariumError) => e.code === 'InvalidInput' && /1 to 1000/.test(e.hint ?? ''), bad);
  }
  assert.throws(() => validateReplicas(21, 20), (e: TerrariumError) => /terrarium\.maxReplicas/.test(e.hint ?? '') && /TERRARIUM_MAX_REPLICAS/.test(e.hint ?? ''));
  validateReplicas(25, maxReplicasFrom({ TERRARIUM_MAX_REPLICAS: '30' }));
});
