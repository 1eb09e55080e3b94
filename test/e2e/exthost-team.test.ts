/**
 * The extension as bob sees it on a cluster shared with alice: kube-sim with users alice and bob
 * (terrarium-users), the user Role of manifests/rbac.yaml without exec/attach/port-forward, and the
 * controller's per-user Role giving bob those on his sandbox only. The workbench's kubeconfig is
 * bob's; the mocha suite in exthost-team/ runs in the real extension host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { startKubeSim } from '../kube-sim/index';
import { e2eSkipReason, runExtensionHostTests } from './harness';

const NS = 'devenv';

test("bob's extension host: whose sandbox is whose, and only his actions", { skip: e2eSkipReason() ?? false, timeout: 300_000 }, async (t) => {
  const sim = await startKubeSim({ sample: true });
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-team-e2e-'));
  t.after(async () => { await sim.close(); rmSync(dir, { recursive: true, force: true }); });
  for (const u of ['alice', 'bob']) sim.users.add(u, ['terrarium-users']);
  const role = (loadAll(readFileSync('manifests/rbac.yaml', 'utf8')) as any[]).find((d) => d?.kind === 'Role' && d.metadata.name === 'terrarium-user');
  role.rules = role.rules.map((r: any) => ({ ...r, resources: r.resources.filter((x: string) => !/^pods\/(exec|attach|portforward)$/.test(x)) }))
    .filter((r: any) => r.resources.length);
  const rbac = 'rbac.authorization.k8s.io';
  sim.objects.create(`roles.${rbac}`, { ...role, metadata: { name: 'terrarium-user', namespace: NS } });
  sim.objects.create(`rolebindings.${rbac}`, { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'terrarium-users', namespace: NS },
    roleRef: { apiGroup: rbac, kind: 'Role', name: 'terrarium-user' }, subjects: [{ apiGroup: rbac, kind: 'Group', name: 'terrarium-users' }] });
  sim.objects.create(`roles.${rbac}`, { apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { name: 'terrarium-access-bob', namespace: NS },
    rules: [{ apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'], resourceNames: ['sample-1'] }] });
  sim.objects.create(`rolebindings.${rbac}`, { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'terrarium-access-bob', namespace: NS },
    roleRef: { apiGroup: rbac, kind: 'Role', name: 'terrarium-access-bob' }, subjects: [{ apiGroup: rbac, kind: 'User', name: 'bob' }] });
  await sim.waitRolledOut(NS, 'sample', 120_000);
  for (const [sandbox, user] of [['sample-0', 'alice'], ['sample-1', 'bob']] as const) {
    const pvc = sim.objects.get('persistentvolumeclaims', NS, `workspace-${sandbox}`);
    pvc.metadata.annotations = { ...pvc.metadata.annotations, 'terrarium.dev/claimed-by': user, 'terrarium.dev/claimed-at': new Date().toISOString() };
    sim.objects.update('persistentvolumeclaims', pvc, { checkVersion: false });
  }
  // The workbench is bob's: its current context carries bob's token.
  const kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { user: 'bob', token: sim.users.token('bob')!, namespace: NS });

  const run = await runExtensionHostTests(join(__dirname, 'exthost-team'), { kubeconfig, screenshotName: 'exthost-team' });
  for (const title of run.passed) t.diagnostic(`passed: ${title}`);
  assert.equal(run.failed.length, 0, `extension-host failures:\n${run.failed.map((f) => `${f.title}\n${f.error}`).join('\n\n')}`);
  assert.equal(run.exitCode, 0, `extension host exit code; log:\n${run.log.slice(-30).join('\n')}`);
  assert.deepEqual(run.pending, []);
  assert.ok(run.total && run.total > 0 && run.passed.length === run.total, `only ${run.passed.length} of ${run.total} passed`);
});
