// kube-sim's own pieces, without a server: requestInfo follows the RequestInfoFactory rules, the
// registry serves CRD kinds from their CRD objects, admission runs plugins around the strategy,
// and only sample.ts reaches into src/; outside kube-sim only its facade (index.ts) is imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { newRequestInfo } from '../kube-sim/apiserver/requestInfo';
import { AdmissionChain, type AdmissionAttributes } from '../kube-sim/apiserver/admission/chain';
import { Registry, findResource, registry } from '../kube-sim/registry';
import { VSO_CRDS } from '../kube-sim/addons/vso/crds';

const info = (method: string, path: string, upgrade = false) => {
  const i = newRequestInfo(method, new URL(path, 'http://sim'), { upgrade });
  return { resource: i.isResourceRequest, verb: i.verb, group: i.apiGroup, version: i.apiVersion, ns: i.namespace, res: i.resource, name: i.name, sub: i.subresource };
};

test('requestInfo: verbs from methods, list/watch/deletecollection without a name', () => {
  assert.deepEqual(info('GET', '/api/v1/namespaces/a/pods'), { resource: true, verb: 'list', group: '', version: 'v1', ns: 'a', res: 'pods', name: undefined, sub: undefined });
  assert.equal(info('GET', '/api/v1/namespaces/a/pods?watch=true').verb, 'watch');
  assert.equal(info('GET', '/api/v1/namespaces/a/pods?watch=1').verb, 'watch');
  assert.equal(info('GET', '/api/v1/namespaces/a/pods/p?watch=true').verb, 'get');
  assert.equal(info('DELETE', '/api/v1/namespaces/a/pods').verb, 'deletecollection');
  assert.equal(info('DELETE', '/api/v1/namespaces/a/pods/p').verb, 'delete');
  assert.equal(info('POST', '/api/v1/namespaces/a/pods').verb, 'create');
  assert.equal(info('PUT', '/api/v1/namespaces/a/pods/p').verb, 'update');
  assert.equal(info('PATCH', '/apis/apps/v1/namespaces/a/statefulsets/s/scale').verb, 'patch');
  assert.equal(info('HEAD', '/api/v1/namespaces/a/pods/p').verb, 'get');
});

test('requestInfo: groups, subresources, cluster scope and the namespace object itself', () => {
  assert.deepEqual(info('PATCH', '/apis/apps/v1/namespaces/a/statefulsets/s/scale'), { resource: true, verb: 'patch', group: 'apps', version: 'v1', ns: 'a', res: 'statefulsets', name: 's', sub: 'scale' });
  assert.deepEqual(info('GET', '/api/v1/pods'), { resource: true, verb: 'list', group: '', version: 'v1', ns: undefined, res: 'pods', name: undefined, sub: undefined });
  // The namespace object: namespace = its name, as kube-apiserver's authorizer sees it.
  assert.deepEqual(info('GET', '/api/v1/namespaces/a'), { resource: true, verb: 'get', group: '', version: 'v1', ns: 'a', res: 'namespaces', name: 'a', sub: undefined });
  assert.deepEqual(info('PUT', '/api/v1/namespaces/a/finalize'), { resource: true, verb: 'update', group: '', version: 'v1', ns: 'a', res: 'namespaces', name: 'a', sub: 'finalize' });
  assert.equal(info('GET', '/api/v1/namespaces/a/status').sub, 'status');
  assert.equal(info('GET', '/api/v1/namespaces').verb, 'list');
  // A WebSocket exec is authorized as create (Kubernetes >= 1.31).
  assert.deepEqual(info('GET', '/api/v1/namespaces/a/pods/p/exec', true), { resource: true, verb: 'create', group: '', version: 'v1', ns: 'a', res: 'pods', name: 'p', sub: 'exec' });
});

test('requestInfo: non-resource paths', () => {
  for (const p of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/healthz', '/openapi/v2', '/']) {
    assert.equal(info('GET', p).resource, false, p);
    assert.equal(info('GET', p).verb, 'get', p);
  }
  assert.equal(newRequestInfo('GET', new URL('http://sim/apis/apps/v1/')).path, '/apis/apps/v1');
});

test('registry: the VSO kinds come from their CRD objects, once each', () => {
  for (const crd of VSO_CRDS) {
    const r = findResource(crd.spec.group, 'v1beta1', crd.spec.names.plural);
    assert.ok(r, crd.metadata.name);
    assert.equal(r.kind, crd.spec.names.kind);
    assert.equal(r.namespaced, true);
    assert.deepEqual(r.subresources, ['status']);
  }
  const fresh = new Registry();
  fresh.registerCrd(VSO_CRDS[0]!);
  assert.throws(() => fresh.registerCrd(VSO_CRDS[0]!), /registered twice/);
  assert.throws(() => fresh.registerCrd({ ...VSO_CRDS[1]!, metadata: { name: 'wrong' } }), /must be named/);
  assert.equal(registry.kinds.length, new Set(registry.kinds.map((k) => `${k.group}/${k.version}/${k.plural}`)).size);
});

test('admission: mutating plugins, then the strategy, then validating plugins', () => {
  const seen: string[] = [];
  const sts = findResource('apps', 'v1', 'statefulsets')!;
  const chain = new AdmissionChain(
    [{ name: 'm', admit: (a) => { seen.push(`mutate replicas=${a.object.spec.replicas}`); } }],
    [{ name: 'v', validate: (a) => { seen.push(`validate replicas=${a.object.spec.replicas}`); } }],
  );
  // A valid StatefulSet but for the defaulted fields (validation now requires a selector and a template).
  const valid = { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } };
  const a: AdmissionAttributes = { operation: 'CREATE', resource: sts, namespace: 'a', name: 's', object: { metadata: { name: 's' }, spec: { ...valid } }, user: { name: 'u', groups: [] }, dryRun: false };
  chain.run(a);
  assert.deepEqual(seen, ['mutate replicas=undefined', 'validate replicas=1']);
  assert.deepEqual(a.object.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.throws(() => chain.run({ ...a, object: { metadata: { name: 's' }, spec: { ...valid, replicas: -1 } } }), /spec.replicas: Invalid value: -1/);
});

test('kube-sim: only sample.ts imports src/ (the emulator never depends on what it tests)', () => {
  const root = join(__dirname, '..', 'kube-sim');
  const files: string[] = [];
  const walk = (d: string) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.ts')) files.push(p); } };
  walk(root);
  const importers = files.filter((f) => /from '(\.\.\/)+src\//.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
  assert.deepEqual(importers, ['sample.ts']);
});

test('outside kube-sim, files import only its facade (index.ts), so tests never reach into its parts', () => {
  const repo = join(__dirname, '..', '..');
  const sim = join(repo, 'test', 'kube-sim');
  // This file tests kube-sim's parts themselves (requestInfo, admission, registry), without a server.
  const exempt = new Set([join(repo, 'test', 'unit', 'kube-sim-structure.test.ts')]);
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (p === sim || f === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(m|c)?[jt]s$/.test(f) && !exempt.has(p)) files.push(p);
    }
  };
  walk(join(repo, 'test'));
  walk(join(repo, 'scripts'));
  assert.ok(files.length > 20, `found the test and script files (${files.length})`);
  const facade = new Set([sim, join(sim, 'index'), join(sim, 'index.ts')]);
  const reaching: string[] = [];
  for (const f of files) {
    // Every relative path literal, so static imports, import(), require() and computed specifiers all count.
    for (const m of readFileSync(f, 'utf8').matchAll(/(['"`])(\.\.?\/[^'"`\s]*)\1/g)) {
      const target = resolve(dirname(f), m[2]!);
      if ((target === sim || target.startsWith(sim + sep)) && !facade.has(target)) reaching.push(`${relative(repo, f)}: ${m[2]}`);
    }
  }
  assert.deepEqual(reaching, [], 'import kube-sim through test/kube-sim/index.ts (add what tests need to its KubeSim facade)');
});
