/**
 * kube-sim follows kube-apiserver where clients rely on it (issue 10, sections 3-5): server-side
 * apply (fieldManager, managedFields, removal of dropped fields, conflicts, force), optimistic
 * concurrency on every PUT including statefulsets/scale, watches (watch=True, compaction -> ERROR
 * 410, sendInitialEvents bookmark, timeoutSeconds), list options (resourceVersionMatch, paging,
 * selectors), strategic merge keys and directives, 415s, DELETE answers and preconditions, Table
 * output. Checked over HTTP, the way clients see it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startKubeSim, type KubeSim } from '../kube-sim/index';

let sim: KubeSim;
before(async () => { sim = await startKubeSim({ runtime: false }); });
after(async () => { await sim.stop(); });

interface Reply { status: number; json: any }
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: text });
  const raw = await r.text();
  let json: any;
  try { json = JSON.parse(raw); } catch { json = raw; }
  return { status: r.status, json };
}
const ok = async (p: Promise<Reply>) => { const r = await p; assert.ok(r.status < 300, JSON.stringify(r.json)); return r.json; };
const APPLY = { 'content-type': 'application/apply-patch+yaml' };

async function namespace(name: string): Promise<void> { await ok(call('POST', '/api/v1/namespaces', { metadata: { name } })); }

function sts(name: string, replicas: number, containers: object[] = [{ name: 'main', image: 'img:1' }], labels: Record<string, string> = { app: name }): object {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, labels },
    spec: { replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
  };
}

/** Reads a watch stream's events until `until` says stop or the stream ends (bounded by timeoutMs). */
function watch(path: string, until: (events: any[]) => boolean = () => false, timeoutMs = 15_000): Promise<{ events: any[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    let buf = '';
    const req = request(`${sim.url}${path}`, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i); buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
        if (until(events)) { clearTimeout(timer); req.destroy(); resolve({ events, ended: false }); }
      });
      res.on('end', () => { clearTimeout(timer); resolve({ events, ended: true }); });
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`watch ${path}: no end within ${timeoutMs} ms: ${JSON.stringify(events)}`)); }, timeoutMs);
    req.on('error', (e) => { if (!(e as any).code?.includes('ECONNRESET')) reject(e); });
    req.end();
  });
}

describe('server-side apply', () => {
  const base = '/apis/apps/v1/namespaces/ssa/statefulsets';
  before(() => namespace('ssa'));

  test('apply without fieldManager is 422 on PatchOptions; force on a non-apply patch likewise', async () => {
    const r = await call('PATCH', `${base}/nofm`, sts('nofm', 1), APPLY);
    assert.equal(r.status, 422);
    assert.equal(r.json.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const f = await call('PATCH', `${base}/nofm?force=true`, { metadata: {} }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(f.status, 422);
    assert.match(f.json.message, /force: Forbidden: may not be specified for non-apply patch/);
  });

  test('apply records an Apply entry with the applied fields (associative lists keyed), for every kind', async () => {
    const created = await call('PATCH', `${base}/web?fieldManager=tool`, sts('web', 2), APPLY);
    assert.equal(created.status, 201);
    const entry = created.json.metadata.managedFields.find((e: any) => e.manager === 'tool');
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.apiVersion, 'apps/v1');
    assert.deepEqual(entry.fieldsV1['f:spec']['f:replicas'], {});
    const containers = entry.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'];
    assert.deepEqual(Object.keys(containers), ['k:{"name":"main"}']);
    assert.deepEqual(containers['k:{"name":"main"}'], { '.': {}, 'f:name': {}, 'f:image': {} });
    const svc = await ok(call('POST', '/api/v1/namespaces/ssa/services?fieldManager=maker', { metadata: { name: 'svc' }, spec: { ports: [{ port: 22, targetPort: 2222 }] } }));
    assert.deepEqual(svc.metadata.managedFields.map((e: any) => [e.manager, e.operation]), [['maker', 'Update']]);
    assert.ok(svc.metadata.managedFields[0].fieldsV1['f:spec']['f:ports']['k:{"port":22,"protocol":"TCP"}'], JSON.stringify(svc.metadata.managedFields));
  });

  test('a field dropped from a re-apply by the same manager is removed; one another manager also owns stays', async () => {
    await ok(call('PATCH', `${base}/drop?fieldManager=tool`, sts('drop', 1, [{ name: 'main', image: 'img:1' }, { name: 'side', image: 'side:1' }], { app: 'drop', extra: 'x' }), APPLY));
    // Another manager sets an annotation (an Update): it owns that, not the labels.
    await ok(call('PATCH', `${base}/drop`, { metadata: { annotations: { note: 'kept' } } }, { 'content-type': 'application/merge-patch+json', 'user-agent': 'kubectl-annotate/v1.32' }));
    // Re-apply without the label "extra" and without the "side" container.
    const re = await ok(call('PATCH', `${base}/drop?fieldManager=tool`, sts('drop', 1), APPLY));
    assert.deepEqual(re.metadata.labels, { app: 'drop' });
    assert.deepEqual(re.spec.template.spec.containers.map((c: any) => c.name), ['main']);
    assert.equal(re.metadata.annotations.note, 'kept', 'fields of other managers are untouched');
    // A field both managers own (same value) survives the applier dropping it.
    await ok(call('PATCH', `${base}/drop?fieldManager=other`, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'drop', labels: { shared: 'y' } } }, APPLY));
    await ok(call('PATCH', `${base}/drop?fieldManager=tool`, sts('drop', 1, undefined, { app: 'drop', shared: 'y' }), APPLY));
    const last = await ok(call('PATCH', `${base}/drop?fieldManager=tool`, sts('drop', 1), APPLY));
    assert.equal(last.metadata.labels.shared, 'y', 'still owned by "other"');
  });

  test('a different manager changing an owned field gets 409 FieldManagerConflict unless force=true, which takes the field', async () => {
    await ok(call('PATCH', `${base}/own?fieldManager=mgr`, sts('own', 1), APPLY));
    const change = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'own' }, spec: { replicas: 3 } };
    const r = await call('PATCH', `${base}/own?fieldManager=intruder`, change, APPLY);
    assert.equal(r.status, 409);
    assert.equal(r.json.reason, 'Conflict');
    assert.equal(r.json.message, 'Apply failed with 1 conflict: conflict with "mgr": .spec.replicas');
    assert.deepEqual(r.json.details.causes, [{ type: 'FieldManagerConflict', message: 'conflict with "mgr"', field: '.spec.replicas' }]);
    // The same value is no conflict: the field is shared.
    await ok(call('PATCH', `${base}/own?fieldManager=intruder`, { ...change, spec: { replicas: 1 } }, APPLY));
    const forced = await ok(call('PATCH', `${base}/own?fieldManager=intruder&force=true`, change, APPLY));
    assert.equal(forced.spec.replicas, 3);
    const owners = forced.metadata.managedFields.filter((e: any) => e.fieldsV1['f:spec']?.['f:replicas']).map((e: any) => e.manager);
    assert.deepEqual(owners, ['intruder'], 'force moved .spec.replicas to the new manager');
    // An Update manager is named with its API version.
    await ok(call('PATCH', `${base}/own`, { spec: { replicas: 4 } }, { 'content-type': 'application/merge-patch+json', 'user-agent': 'kubectl-edit/v1' }));
    const c = await call('PATCH', `${base}/own?fieldManager=intruder`, change, APPLY);
    assert.equal(c.json.message, 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas');
  });

  test('scaling through the subresource is recorded as an Update with subresource "scale" and conflicts with a re-apply', async () => {
    await ok(call('PATCH', `${base}/sc?fieldManager=tool`, sts('sc', 1), APPLY));
    await ok(call('PATCH', `${base}/sc/scale?fieldManager=scaler`, { spec: { replicas: 2 } }, { 'content-type': 'application/merge-patch+json' }));
    const c = await call('PATCH', `${base}/sc?fieldManager=tool`, sts('sc', 1), APPLY);
    assert.equal(c.status, 409);
    assert.equal(c.json.message, 'Apply failed with 1 conflict: conflict with "scaler" with subresource "scale" using apps/v1: .spec.replicas');
  });
});

describe('optimistic concurrency', () => {
  const base = '/apis/apps/v1/namespaces/occ/statefulsets';
  before(async () => {
    await namespace('occ');
    await ok(call('POST', base, sts('x', 1)));
  });

  test('a PUT with a stale resourceVersion is 409 with the real text; without one it is unconditional', async () => {
    const cur = await ok(call('GET', `${base}/x`));
    await ok(call('PUT', `${base}/x`, { ...cur, metadata: { ...cur.metadata, labels: { a: '1' } } }));
    const stale = await call('PUT', `${base}/x`, { ...cur, metadata: { ...cur.metadata, labels: { a: '2' } } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.equal(stale.json.message, 'Operation cannot be fulfilled on statefulsets.apps "x": the object has been modified; please apply your changes to the latest version and try again');
    const { resourceVersion: _rv, ...meta } = cur.metadata;
    await ok(call('PUT', `${base}/x`, { ...cur, metadata: { ...meta, labels: { a: '3' } } }));
  });

  test('statefulsets/scale: a PUT with a stale resourceVersion is 409, a fresh one scales', async () => {
    const scale = await ok(call('GET', `${base}/x/scale`));
    await ok(call('PUT', `${base}/x/scale`, { ...scale, spec: { replicas: 2 } }));
    const stale = await call('PUT', `${base}/x/scale`, { ...scale, spec: { replicas: 3 } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.message, 'Operation cannot be fulfilled on statefulsets.apps "x": the object has been modified; please apply your changes to the latest version and try again');
    const fresh = await ok(call('GET', `${base}/x/scale`));
    assert.equal((await ok(call('PUT', `${base}/x/scale`, { ...fresh, spec: { replicas: 3 } }))).spec.replicas, 3);
  });

  test('status PUT and patches carrying a resourceVersion are conditional too', async () => {
    const cur = await ok(call('GET', `${base}/x`));
    await ok(call('PATCH', `${base}/x`, { metadata: { labels: { b: '1' } } }, { 'content-type': 'application/merge-patch+json' }));
    assert.equal((await call('PUT', `${base}/x/status`, { ...cur, status: { replicas: 9 } })).status, 409);
    assert.equal((await call('PATCH', `${base}/x`, { metadata: { resourceVersion: cur.metadata.resourceVersion, labels: { c: '1' } } }, { 'content-type': 'application/merge-patch+json' })).status, 409);
  });
});

describe('watches', () => {
  const pods = '/api/v1/namespaces/w/pods';
  const pod = (name: string) => ({ metadata: { name, labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  before(async () => { await namespace('w'); await ok(call('POST', pods, pod('p0'))); });

  for (const value of ['true', '1', 'True']) {
    test(`watch=${value} starts a watch`, async () => {
      const { events } = await watch(`${pods}?watch=${value}&timeoutSeconds=5`, (ev) => ev.length >= 1);
      assert.equal(events[0].type, 'ADDED');
      assert.equal(events[0].object.metadata.name, 'p0');
    });
  }
  test('watch=false and watch=0 list', async () => {
    assert.equal((await ok(call('GET', `${pods}?watch=false`))).kind, 'PodList');
    assert.equal((await ok(call('GET', `${pods}?watch=0`))).kind, 'PodList');
  });

  test('a watch from a compacted resourceVersion answers one ERROR event with Status 410 Expired', async () => {
    const old = (await ok(call('GET', pods))).metadata.resourceVersion;
    const limit = sim.watches.historyLimit;
    sim.watches.historyLimit = 2;
    try {
      for (let i = 1; i <= 4; i++) await ok(call('POST', pods, pod(`c${i}`)));
      const { events, ended } = await watch(`${pods}?watch=1&resourceVersion=${old}`);
      assert.ok(ended);
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'ERROR');
      assert.equal(events[0].object.kind, 'Status');
      assert.equal(events[0].object.code, 410);
      assert.equal(events[0].object.reason, 'Expired');
      assert.match(events[0].object.message, new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));
      // A recent resourceVersion still replays.
      sim.watches.historyLimit = limit;
      const recent = (await ok(call('GET', pods))).metadata.resourceVersion;
      await ok(call('POST', pods, pod('c5')));
      const live = await watch(`${pods}?watch=1&resourceVersion=${recent}`, (ev) => ev.length >= 1);
      assert.deepEqual(live.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'c5']]);
    } finally { sim.watches.historyLimit = limit; }
  });

  test('sendInitialEvents=true ends the initial ADDED events with the k8s.io/initial-events-end bookmark', async () => {
    const { events } = await watch(`${pods}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      (ev) => ev.some((e) => e.type === 'BOOKMARK'));
    const bookmark = events[events.length - 1];
    assert.equal(bookmark.type, 'BOOKMARK');
    assert.deepEqual(bookmark.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
    assert.ok(events.slice(0, -1).length >= 1 && events.slice(0, -1).every((e) => e.type === 'ADDED'));
    // Without resourceVersionMatch=NotOlderThan it is invalid, as validateWatchOptions says.
    const bad = await call('GET', `${pods}?watch=1&sendInitialEvents=true`);
    assert.equal(bad.status, 422);
    assert.equal(bad.json.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  });

  test('a watch ends after its timeoutSeconds, also beyond the server default', async () => {
    const saved = sim.watches.timeoutSeconds;
    sim.watches.timeoutSeconds = 1;
    try {
      const t0 = Date.now();
      const { ended } = await watch(`${pods}?watch=1&timeoutSeconds=2`);
      assert.ok(ended);
      assert.ok(Date.now() - t0 >= 1900, `ran ${Date.now() - t0} ms of its 2 s`);
    } finally { sim.watches.timeoutSeconds = saved; }
  });
});

describe('lists', () => {
  const cms = '/api/v1/namespaces/l/configmaps';
  before(async () => {
    await namespace('l');
    for (let i = 0; i < 5; i++) await ok(call('POST', cms, { metadata: { name: `cm${i}`, labels: { i: String(i) } } }));
  });

  test('limit + continue pages through a consistent snapshot with an opaque token', async () => {
    const first = await ok(call('GET', `${cms}?limit=2`));
    assert.deepEqual(first.items.map((o: any) => o.metadata.name), ['cm0', 'cm1']);
    assert.equal(first.metadata.remainingItemCount, 3);
    assert.ok(first.metadata.continue);
    // Created after the first page: not in this list's snapshot.
    await ok(call('POST', cms, { metadata: { name: 'cm2a' } }));
    const second = await ok(call('GET', `${cms}?limit=2&continue=${encodeURIComponent(first.metadata.continue)}`));
    assert.deepEqual(second.items.map((o: any) => o.metadata.name), ['cm2', 'cm3']);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    const third = await ok(call('GET', `${cms}?limit=2&continue=${encodeURIComponent(second.metadata.continue)}`));
    assert.deepEqual(third.items.map((o: any) => o.metadata.name), ['cm4']);
    assert.equal(third.metadata.continue, undefined);
    const bad = await call('GET', `${cms}?limit=2&continue=garbage`);
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^continue key is not valid/);
    await ok(call('DELETE', `${cms}/cm2a`));
  });

  test('an expired continue token is 410 with the documented message and a token to go on inconsistently', async () => {
    const first = await ok(call('GET', `${cms}?limit=2`));
    const limit = sim.watches.historyLimit;
    sim.watches.historyLimit = 1;
    try {
      await ok(call('POST', cms, { metadata: { name: 'x1' } }));
      await ok(call('POST', cms, { metadata: { name: 'x2' } }));
      const r = await call('GET', `${cms}?limit=2&continue=${encodeURIComponent(first.metadata.continue)}`);
      assert.equal(r.status, 410);
      assert.equal(r.json.reason, 'Expired');
      assert.match(r.json.message, /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response/);
      const rest = await ok(call('GET', `${cms}?limit=10&continue=${encodeURIComponent(r.json.metadata.continue)}`));
      assert.deepEqual(rest.items.map((o: any) => o.metadata.name), ['cm2', 'cm3', 'cm4', 'x1', 'x2']);
    } finally { sim.watches.historyLimit = limit; }
  });

  test('resourceVersion + resourceVersionMatch: Exact lists the past, too old is 410, invalid combinations 422', async () => {
    const before = await ok(call('GET', cms));
    await ok(call('POST', cms, { metadata: { name: 'later' } }));
    const exact = await ok(call('GET', `${cms}?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`));
    assert.deepEqual(exact.items.map((o: any) => o.metadata.name), before.items.map((o: any) => o.metadata.name));
    const newer = await ok(call('GET', `${cms}?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`));
    assert.ok(newer.items.some((o: any) => o.metadata.name === 'later'));
    const limit = sim.watches.historyLimit;
    sim.watches.historyLimit = 0;
    try {
      await ok(call('DELETE', `${cms}/later`));
      const old = await call('GET', `${cms}?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`);
      assert.equal(old.status, 410);
      assert.equal(old.json.message, 'The resourceVersion for the provided list is too old.');
    } finally { sim.watches.historyLimit = limit; }
    const noRv = await call('GET', `${cms}?resourceVersionMatch=Exact`);
    assert.equal(noRv.status, 422);
    assert.equal(noRv.json.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    const zero = await call('GET', `${cms}?resourceVersion=0&resourceVersionMatch=Exact`);
    assert.equal(zero.json.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    const junk = await call('GET', `${cms}?resourceVersionMatch=Junk`);
    assert.equal(junk.json.message, 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: "Junk": supported values: "Exact", "NotOlderThan", ""]');
  });

  test('unsupported field selectors and malformed label selectors are 400 with the real texts', async () => {
    const f = await call('GET', `${cms}?fieldSelector=spec.nodeName%3Dx`);
    assert.equal(f.status, 400);
    assert.equal(f.json.message, 'field label not supported: spec.nodeName');
    assert.equal((await ok(call('GET', `/api/v1/namespaces/l/pods?fieldSelector=spec.nodeName%3Dx,status.phase!%3DRunning`))).kind, 'PodList');
    assert.equal((await ok(call('GET', `/api/v1/namespaces/l/events?fieldSelector=involvedObject.name%3Dx,type%3DWarning`))).kind, 'EventList');
    const l = await call('GET', `${cms}?labelSelector=${encodeURIComponent('i in (1')}`);
    assert.equal(l.status, 400);
    assert.equal(l.json.message, "unable to parse requirement: found '', expected: ',' or ')'");
    const l2 = await call('GET', `${cms}?labelSelector=${encodeURIComponent('=x')}`);
    assert.equal(l2.json.message, "found '=', expected: !, identifier, or 'end of string'");
    const good = await ok(call('GET', `${cms}?labelSelector=${encodeURIComponent('i in (1,3),!j')}`));
    assert.deepEqual(good.items.map((o: any) => o.metadata.name), ['cm1', 'cm3']);
  });

  test('kubectl get asks for a Table: pods get NAME READY STATUS RESTARTS AGE, statefulsets NAME READY AGE, others NAME AGE', async () => {
    const accept = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' };
    await ok(call('POST', '/api/v1/namespaces/l/pods', { metadata: { name: 'tp' }, spec: { containers: [{ name: 'c', image: 'i' }] } }));
    const t = await ok(call('GET', '/api/v1/namespaces/l/pods', undefined, accept));
    assert.equal(t.kind, 'Table');
    assert.deepEqual(t.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    const row = t.rows.find((x: any) => x.cells[0] === 'tp');
    const p = await ok(call('GET', '/api/v1/namespaces/l/pods/tp'));
    const reason = p.status.containerStatuses?.[0]?.state?.waiting?.reason ?? p.status.phase;
    assert.deepEqual(row.cells.slice(0, 4), ['tp', '0/1', reason, 0]);
    assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
    await ok(call('POST', '/apis/apps/v1/namespaces/l/statefulsets', sts('ts', 2)));
    const s = await ok(call('GET', '/apis/apps/v1/namespaces/l/statefulsets/ts', undefined, accept));
    assert.deepEqual(s.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name), ['Name', 'Ready', 'Age']);
    assert.deepEqual(s.rows[0].cells.slice(0, 2), ['ts', '0/2']);
    const c = await ok(call('GET', cms, undefined, accept));
    assert.deepEqual(c.columnDefinitions.map((x: any) => x.name), ['Name', 'Age']);
    assert.equal((await ok(call('GET', cms))).kind, 'ConfigMapList', 'plain JSON without the Table Accept');
  });
});

describe('patches and deletes', () => {
  before(() => namespace('pd'));

  test('strategic merge uses each list\'s merge key (Service ports by port) and honours $patch directives', async () => {
    await ok(call('POST', '/api/v1/namespaces/pd/services', { metadata: { name: 's' }, spec: { ports: [{ name: 'ssh', port: 22, targetPort: 2222 }, { name: 'web', port: 80 }] } }));
    const smp = { 'content-type': 'application/strategic-merge-patch+json' };
    let s = await ok(call('PATCH', '/api/v1/namespaces/pd/services/s', { spec: { ports: [{ port: 22, targetPort: 2200 }] } }, smp));
    assert.deepEqual(s.spec.ports, [{ name: 'ssh', port: 22, targetPort: 2200 }, { name: 'web', port: 80 }]);
    s = await ok(call('PATCH', '/api/v1/namespaces/pd/services/s', { spec: { ports: [{ port: 80, $patch: 'delete' }] } }, smp));
    assert.deepEqual(s.spec.ports.map((p: any) => p.port), [22]);
    s = await ok(call('PATCH', '/api/v1/namespaces/pd/services/s', { spec: { ports: [{ $patch: 'replace' }, { port: 443 }] } }, smp));
    assert.deepEqual(s.spec.ports, [{ port: 443 }]);
    await ok(call('PATCH', '/api/v1/namespaces/pd/services/s', { metadata: { labels: { a: '1', b: '2' } } }, smp));
    s = await ok(call('PATCH', '/api/v1/namespaces/pd/services/s', { metadata: { labels: { $patch: 'replace', c: '3' } } }, smp));
    assert.deepEqual(s.metadata.labels, { c: '3' });
    await ok(call('POST', '/apis/apps/v1/namespaces/pd/statefulsets', sts('st', 1, [{ name: 'main', image: 'a', ports: [{ containerPort: 2222 }], env: [{ name: 'A', value: '1' }] }])));
    const st = await ok(call('PATCH', '/apis/apps/v1/namespaces/pd/statefulsets/st', { spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 8080 }], env: [{ name: 'B', value: '2' }] }] } } } }, smp));
    const c = st.spec.template.spec.containers[0];
    assert.equal(c.image, 'a');
    assert.deepEqual(c.ports.map((p: any) => p.containerPort), [2222, 8080]);
    assert.deepEqual(c.env.map((e: any) => e.name), ['A', 'B']);
  });

  test('strategic merge on a custom resource and an unknown patch type are 415 UnsupportedMediaType', async () => {
    const vso = '/apis/secrets.hashicorp.com/v1beta1/namespaces/pd/vaultstaticsecrets';
    await ok(call('POST', vso, { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name: 'v' }, spec: { mount: 'kv', path: 'p', type: 'kv-v2', destination: { name: 'd', create: true } } }));
    const r = await call('PATCH', `${vso}/v`, { spec: { path: 'q' } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(r.status, 415);
    assert.equal(r.json.reason, 'UnsupportedMediaType');
    assert.equal(r.json.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    assert.equal((await call('PATCH', `${vso}/v`, { spec: { path: 'q' } }, { 'content-type': 'application/merge-patch+json' })).status, 200);
    const t = await call('PATCH', '/api/v1/namespaces/pd/services/s', 'x', { 'content-type': 'text/plain' });
    assert.equal(t.status, 415);
    assert.equal(t.json.reason, 'UnsupportedMediaType');
  });

  test('DELETE answers a Status Success for statefulsets and configmaps, the object for services; preconditions are 409', async () => {
    await ok(call('POST', '/api/v1/namespaces/pd/configmaps', { metadata: { name: 'c' } }));
    const cm = await ok(call('GET', '/api/v1/namespaces/pd/configmaps/c'));
    const wrongUid = await call('DELETE', '/api/v1/namespaces/pd/configmaps/c', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'nope' } });
    assert.equal(wrongUid.status, 409);
    assert.equal(wrongUid.json.message, `Operation cannot be fulfilled on configmaps "c": Precondition failed: UID in precondition: nope, UID in object meta: ${cm.metadata.uid}`);
    const wrongRv = await call('DELETE', '/api/v1/namespaces/pd/configmaps/c', { preconditions: { resourceVersion: '1' } });
    assert.equal(wrongRv.status, 409);
    const gone = await ok(call('DELETE', '/api/v1/namespaces/pd/configmaps/c', { preconditions: { uid: cm.metadata.uid, resourceVersion: cm.metadata.resourceVersion } }));
    assert.deepEqual(gone, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'c', group: '', kind: 'configmaps', uid: cm.metadata.uid } });
    const st = await ok(call('DELETE', '/apis/apps/v1/namespaces/pd/statefulsets/st'));
    assert.equal(st.kind, 'Status');
    assert.equal(st.details.group, 'apps');
    const svc = await ok(call('DELETE', '/api/v1/namespaces/pd/services/s'));
    assert.equal(svc.kind, 'Service');
  });
});

describe('openapi v3', () => {
  test('/openapi/v3 indexes each group-version; a document describes its kinds with GVK, paths and fieldValidation', async () => {
    const index = await ok(call('GET', '/openapi/v3'));
    assert.match(index.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    assert.ok(index.paths['api/v1']);
    const doc = await ok(call('GET', '/openapi/v3/apis/apps/v1'));
    assert.equal(doc.openapi, '3.0.0');
    const sts = doc.components.schemas['io.k8s.api.apps.v1.StatefulSet'];
    assert.deepEqual(sts['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'StatefulSet', version: 'v1' }]);
    assert.equal(doc.components.schemas['io.k8s.api.apps.v1.StatefulSetSpec'].properties.replicas.type, 'integer');
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'StatefulSet', version: 'v1' });
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.equal((await call('GET', '/openapi/v3/apis/nope/v1')).status, 404);
  });
});
