import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTerrariumManagedSecret } from '../../src/core/secrets/managed';
import { keysFromManagedFields } from '../../src/core/secrets/destinations';
import { buildPanelState } from '../../src/core/secrets/panelModel';
import type { VsoObject } from '../../src/core/secrets/vsoResources';

test('Terrarium\'s own Secrets are recognised by name or by its labels, whatever else they carry', () => {
  assert.ok(isTerrariumManagedSecret('web-hostkey'));
  assert.ok(isTerrariumManagedSecret('web-hostkey', { 'app.kubernetes.io/managed-by': 'hashicorp-vso' }), 'the operator may have rewritten the labels');
  assert.ok(isTerrariumManagedSecret('x', { 'app.kubernetes.io/managed-by': 'terrarium' }));
  assert.ok(isTerrariumManagedSecret('x', { 'terrarium.dev/environment': 'web' }));
  assert.ok(!isTerrariumManagedSecret('app-config', { 'app.kubernetes.io/managed-by': 'hashicorp-vso' }));
  assert.ok(!isTerrariumManagedSecret('hostkey-notes'));
});

const entry = (fieldsV1: object, fieldsType = 'FieldsV1') => ({ manager: 'm', operation: 'Update', fieldsType, fieldsV1 });

test('key names from managedFields: the union of every writer\'s f:data (and f:stringData) keys', () => {
  assert.deepEqual(keysFromManagedFields({ managedFields: [
    entry({ 'f:data': { '.': {}, 'f:B': {}, 'f:A': {} }, 'f:type': {} }),
    entry({ 'f:metadata': { 'f:labels': { 'f:x': {} } } }),
    entry({ 'f:stringData': { 'f:C': {} } }),
  ] }), ['A', 'B', 'C']);
});

test('managedFields that do not cover data mean "read it": none, stripped, another format, or no data entry', () => {
  assert.equal(keysFromManagedFields({}), undefined);
  assert.equal(keysFromManagedFields({ managedFields: [] }), undefined);
  assert.equal(keysFromManagedFields({ managedFields: [entry({ 'f:type': {} })] }), undefined);
  assert.equal(keysFromManagedFields({ managedFields: [entry({ 'f:data': { 'f:A': {} } }), entry({}, 'FieldsV2')] }), undefined);
});

test('a VSO secret whose destination is Terrarium\'s is shown as such, with no keys to reveal', () => {
  const vso: VsoObject = { kind: 'VaultStaticSecret', metadata: { name: 'grab', generation: 1 }, spec: { destination: { name: 'web-hostkey' } },
    status: { lastGeneration: 1, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
  const st = buildPanelState({
    context: 'c', namespace: 'n', environment: 'web', sandboxes: [], maxReplicas: 5,
    vso: { status: 'installed', secrets: [vso], auths: [], connections: [] },
    destinations: new Map([['web-hostkey', { exists: true, keys: [], managed: true }]]),
    warnings: [], previousMACs: new Map(), resyncs: new Map(), plainSecrets: [], now: new Date('2026-01-01T00:00:10Z'),
  });
  assert.equal(st.secrets[0]!.destinationManaged, true);
  assert.deepEqual(st.secrets[0]!.keys, []);
});
