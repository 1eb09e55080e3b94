// Who may run Job sandboxes, as the platform's Roles say (ops.ts -> roles.ts) and kube-sim's RBAC
// decides: a user sees Jobs but may not create one (a Job could run as the controller's
// ServiceAccount: see src/core/jobs/access.ts) and is told so; an admin runs one with --cp-in (exec)
// in a namespace that enforces Pod Security "restricted", so the rendered pod passes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import { renderRoles } from '../../src/core/platform/roles';
import { renderNamespace } from '../../src/core/devenv/render';
import { copyIn } from '../../src/core/jobs/copy';
import { listJobs, runJob } from '../../src/core/jobs/jobs';
import { isTerrariumError } from '../../src/core/kube/errors';

const NS = 'teamjobs';
let sim: KubeSim;
let dir: string;
let kubeconfig: string;

before(async () => {
  sim = await startKubeSim();
  dir = mkdtempSync(join(tmpdir(), 'jobs-rbac-'));
  kubeconfig = join(dir, 'kubeconfig');
  sim.users.add('alice', ['terrarium-users']);
  sim.users.add('ada', ['terrarium-admins']);
  sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'ada'] });
  const ns: any = renderNamespace(NS);
  sim.objects.create('namespaces', ns);
  for (const o of renderRoles({ namespace: NS })) {
    if (o.kind === 'Role' || o.kind === 'RoleBinding') sim.objects.create(o.kind === 'Role' ? 'roles.rbac.authorization.k8s.io' : 'rolebindings.rbac.authorization.k8s.io', o as any);
  }
});
after(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const as = (context: string) => openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), context, namespace: NS, env: {} });

test('a user may list Jobs but not create one, and is told which permission is missing', async () => {
  const alice = as('alice');
  assert.deepEqual(await listJobs(alice, { all: true }), []);
  await assert.rejects(runJob(alice, { name: 'job-alice', image: 'busybox', mode: 'run', command: ['true'] }),
    (e) => isTerrariumError(e, 'Forbidden') && /create/.test(e.message) && /jobs/.test(e.message));
});

test('an admin runs a Job with files copied in, under Pod Security "restricted"', async () => {
  assert.equal(sim.objects.get('namespaces', undefined, NS).metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  const ada = as('ada');
  const src = join(dir, 'in.txt');
  writeFileSync(src, 'from ada\n');
  let out = '';
  const r = await runJob(ada, { name: 'job-ada', image: 'busybox', mode: 'run', command: ['cat', 'in.txt'] }, {
    output: new Writable({ write(c: Buffer, _e, cb) { out += c.toString(); cb(); } }),
    copyIn: async (_n, pod, signal) => { await copyIn(ada, pod, src, 'in.txt', signal); },
  });
  assert.equal(r.exitCode, 0, JSON.stringify(r.state));
  assert.equal(out, 'from ada\n');
  const alice = as('alice');
  assert.deepEqual((await listJobs(alice, { all: true })).map((j) => [j.name, j.phase, j.createdBy]), [['job-ada', 'succeeded', 'ada']]);
});
