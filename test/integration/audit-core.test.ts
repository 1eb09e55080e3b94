// Audit records come from inside the core operations, exactly one per action, so both front ends
// get them without writing any: against kube-sim (or a real cluster), with a memory auditor
// installed the way the extension installs its log. Also checks that the extension no longer
// writes audit lines of its own (which would double every record).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { installAuditor, memoryAuditor, type AuditRecord } from '../../src/core/audit';
import { createEnvironment, deleteEnvironment, restartSandbox, scaleEnvironment, startEnvironment, stopEnvironment } from '../../src/core/devenv';
import { claimSandbox, releaseSandbox } from '../../src/core/devenv/claims';
import { SANDBOX_CONTAINER } from '../../src/core/devenv/names';
import { execRunner } from '../../src/core/kube/exec';
import { TmuxSessions } from '../../src/core/tmux/sessions';
import { execTtyConnector } from '../../src/core/tmux/execTty';
import { startLocalForward } from '../../src/core/tunnel/localForward';
import { eventually, getTestCluster, kubeSimAvailable, usingRealCluster, type TestCluster } from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const noCluster = !usingRealCluster() && !kubeSimAvailable() ? 'needs kube-sim (test/kube-sim) or TERRARIUM_TEST_KUBECONFIG' : false;
const ENV = 'aucore';
const image = process.env.TERRARIUM_TEST_IMAGE;

describe('core operations audit themselves, once each', { timeout: 240_000, skip: noCluster }, () => {
  let tc: TestCluster;
  const mem = memoryAuditor();
  let restore: () => void;
  let seen = 0;
  const fresh = (): [string, string, string][] => {
    const out = mem.records.slice(seen);
    seen = mem.records.length;
    return out.map((r: AuditRecord) => [r.action, r.target, r.result]);
  };

  before(async () => {
    tc = await getTestCluster();
    await grantSandboxUsers(tc.cluster); // the admin acts for bob (impersonation)
    restore = installAuditor(mem);
  });
  after(async () => {
    restore?.();
    await tc?.cleanup();
  });

  test('create, scale, stop, start, restart and delete: one record each; stop inside scale-to-0 is not a second', async () => {
    await createEnvironment(tc.cluster, { name: ENV, replicas: 1, ...(image ? { image } : {}), storage: { size: '1Gi' } });
    assert.deepEqual(fresh(), [['create', ENV, 'ok']]);
    await scaleEnvironment(tc.cluster, ENV, 0);
    assert.deepEqual(fresh(), [['scale', ENV, 'ok']]);
    await stopEnvironment(tc.cluster, ENV);
    await startEnvironment(tc.cluster, ENV, 1);
    assert.deepEqual(fresh(), [['scale', ENV, 'ok'], ['scale', ENV, 'ok']]);
    assert.deepEqual(mem.records.at(-1)!.detail, { to: 1, reason: 'start' });
    await assert.rejects(scaleEnvironment(tc.cluster, 'missing-env', 2));
    assert.deepEqual(fresh(), [['scale', 'missing-env', 'failed']]);
    assert.equal(mem.records.at(-1)!.error?.code, 'NotFound');
    await eventually(async () => {
      const pod = await tc.cluster.core.readNamespacedPod({ name: `${ENV}-0`, namespace: tc.namespace }).catch(() => undefined);
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, `${ENV}-0 Ready`, 120_000);
    await restartSandbox(tc.cluster, `${ENV}-0`);
    assert.deepEqual(fresh(), [['restart', `${ENV}-0`, 'ok']]);
  });

  test('claim, release, tmux verbs, terminal attach and a local forward: one record each', async () => {
    const sandbox = `${ENV}-0`;
    await eventually(async () => {
      const pod = await tc.cluster.core.readNamespacedPod({ name: sandbox, namespace: tc.namespace }).catch(() => undefined);
      return !pod?.metadata?.deletionTimestamp && pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, `${sandbox} Ready again`, 120_000);
    await claimSandbox(tc.cluster, { environment: ENV, user: 'bob' });
    assert.deepEqual(fresh(), [['claim', sandbox, 'ok']]);
    await releaseSandbox(tc.cluster, sandbox, { user: 'bob', keep: true });
    assert.deepEqual(fresh(), [['release', sandbox, 'ok']]);

    const tmux = new TmuxSessions(execRunner(tc.cluster, SANDBOX_CONTAINER), sandbox, tc.cluster);
    await tmux.create('a1');
    await tmux.send('a1', 'echo hi');
    await tmux.capture('a1', 10);
    await tmux.list();
    await tmux.kill('a1');
    assert.deepEqual(fresh(), [['tmux-new', sandbox, 'ok'], ['tmux-send', sandbox, 'ok'], ['tmux-capture', sandbox, 'ok'], ['tmux-kill', sandbox, 'ok']],
      'list is a read: not audited');

    const exited = new Promise<void>((resolve) => {
      void execTtyConnector(tc.cluster, sandbox, SANDBOX_CONTAINER)(['sh', '-c', 'exit 0'], { cols: 80, rows: 24 }, { onData: () => {}, onExit: () => resolve() });
    });
    await exited;
    await eventually(async () => mem.records.length > seen, 'the attach record');
    assert.deepEqual(fresh(), [['attach', sandbox, 'ok']]);

    const fwd = await startLocalForward(tc.cluster, { pod: sandbox, remotePort: 2222 });
    await fwd.stop();
    assert.deepEqual(fresh(), [['port-forward', sandbox, 'ok']]);
    assert.equal(mem.records.at(-1)!.detail?.localPort, fwd.localPort);

    await deleteEnvironment(tc.cluster, ENV, { deleteWorkspaces: true });
    assert.deepEqual(fresh(), [['delete', ENV, 'ok']]);
  });
});

describe('the extension writes no audit lines itself', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

  test('no command, panel or terminal of src/extension records audit entries (the core does, once)', () => {
    const offenders = files(join(__dirname, '..', '..', 'src', 'extension'))
      .filter((f) => /\blog\.audit\(|\.audit\(\s*\{|action:\s*'(exec|claim|release|scale|delete|create|restart|port-forward)'/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
