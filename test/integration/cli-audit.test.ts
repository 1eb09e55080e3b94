// The audit trail of the `terrarium` CLI as agents run it (the bundle, a separate process) against
// kube-sim or a real cluster: every action the core performs writes one JSON line to the audit
// log, failures included, and `--audit` also prints it on stderr.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/core/audit';
import { bundledCli, clusterArgs, eventually, getTestCluster, kubeSimAvailable, runCli, usingRealCluster, type CliResult, type TestCluster } from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const ENV = 'aud';
const noCluster = !usingRealCluster() && !kubeSimAvailable() ? 'needs kube-sim (test/kube-sim) or TERRARIUM_TEST_KUBECONFIG' : false;

describe('terrarium CLI audit log', { timeout: 240_000, skip: noCluster }, () => {
  let tc: TestCluster;
  let dir: string;
  let log: string;
  let seen = 0;
  const image = process.env.TERRARIUM_TEST_IMAGE;

  const run = (args: string[], extra: string[] = clusterArgs(tc), input = '') =>
    runCli([...args, ...extra], { env: { TERRARIUM_AUDIT_LOG: log }, input });
  const ok = (r: CliResult) => assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  /** The records written since the last call. */
  const fresh = (): AuditRecord[] => {
    const all = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord) : [];
    const out = all.slice(seen);
    seen = all.length;
    return out;
  };
  const one = (want: Partial<AuditRecord>): AuditRecord => {
    const recs = fresh();
    assert.equal(recs.length, 1, `one record, got ${JSON.stringify(recs, null, 1)}`);
    const r = recs[0]!;
    for (const [k, v] of Object.entries(want)) assert.deepEqual(r[k as keyof AuditRecord], v, `${k} of ${JSON.stringify(r)}`);
    assert.equal(r.context, tc.context);
    assert.equal(r.namespace, tc.namespace);
    assert.ok(r.who?.user, `who is named: ${JSON.stringify(r)}`);
    assert.ok(!Number.isNaN(Date.parse(r.time)));
    return r;
  };

  before(async () => {
    [tc] = await Promise.all([getTestCluster(), bundledCli()]);
    await grantSandboxUsers(tc.cluster); // --user alice: the admin acts for alice (impersonation)
    dir = mkdtempSync(join(tmpdir(), 'terrarium-audit-it-'));
    log = join(dir, 'state', 'terrarium', 'audit.log');
  });
  after(async () => {
    await tc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('env create and env scale each write one record; the log is 0600', async () => {
    ok(await run(['env', 'create', ENV, '--replicas', '1', '--storage', '1Gi', '--cpu', '100m/1', '--memory', '256Mi/1Gi', ...(image ? ['--image', image] : [])]));
    one({ action: 'create', target: ENV, result: 'ok' });
    ok(await run(['env', 'scale', ENV, '2']));
    const r = one({ action: 'scale', target: ENV, result: 'ok' });
    assert.equal(r.detail?.to, 2);
    if (process.platform !== 'win32') assert.equal(statSync(log).mode & 0o777, 0o600);
    // The API server's own answer (SelfSubjectReview), not the kubeconfig's user entry name (kube-sim-user).
    if (!usingRealCluster()) assert.deepEqual(r.who, { user: 'terrarium-test', source: 'api-server' });
  });

  test('a failed operation is audited too: scale of a missing environment', async () => {
    const r = await run(['env', 'scale', 'no-such-env', '2']);
    assert.equal(r.code, 1, r.stderr);
    const rec = one({ action: 'scale', target: 'no-such-env', result: 'failed' });
    assert.equal(rec.error?.code, 'NotFound');
    assert.match(rec.error!.message, /no-such-env/);
  });

  test('tmux new, send, capture and kill each write one record; --audit prints it on stderr', async () => {
    const sandbox = `${ENV}-0`;
    await eventually(async () => {
      const pod = await tc.cluster.core.readNamespacedPod({ name: sandbox, namespace: tc.namespace }).catch(() => undefined);
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, `${sandbox} Ready`, 120_000);
    ok(await run(['tmux', 'new', sandbox, 'agent']));
    one({ action: 'tmux-new', target: sandbox, result: 'ok' });
    const sent = await run(['--audit', 'tmux', 'send', sandbox, 'agent', 'echo', 'ANTHROPIC_API_KEY=sk-ant-api03-canary0123456789abcdef']);
    ok(sent);
    const rec = one({ action: 'tmux-send', target: sandbox, result: 'ok' });
    assert.equal(rec.detail?.session, 'agent');
    assert.ok(!readFileSync(log, 'utf8').includes('canary0123456789'), 'the key in the sent text is redacted in the log');
    const printed = sent.stderr.split('\n').filter((l) => l.startsWith('audit '));
    assert.equal(printed.length, 1, sent.stderr);
    assert.deepEqual(JSON.parse(printed[0]!.slice('audit '.length)), rec, 'stderr shows the same record as the log');
    ok(await run(['tmux', 'capture', sandbox, 'agent']));
    one({ action: 'tmux-capture', target: sandbox, result: 'ok' });
    ok(await run(['tmux', 'kill', sandbox, 'agent']));
    one({ action: 'tmux-kill', target: sandbox, result: 'ok' });
    assert.equal((await run(['tmux', 'kill', sandbox, 'agent'])).code, 1);
    assert.ok(one({ action: 'tmux-kill', target: sandbox, result: 'failed' }).error?.message);
  });

  test('sandbox claim (with its key install) and release write one record each, naming the sandbox', async () => {
    ok(await run(['sandbox', 'claim', ENV, '--user', 'alice', '--sandbox', `${ENV}-0`]));
    const recs = fresh();
    assert.deepEqual(recs.map((r) => [r.action, r.target, r.result]), [['key-install', `${ENV}-0`, 'ok'], ['claim', `${ENV}-0`, 'ok']]);
    assert.equal(recs[1]!.detail?.user, 'alice');
    assert.match(String(recs[0]!.detail?.key), /^SHA256:/, 'the key by fingerprint, not the key');
    ok(await run(['sandbox', 'release', `${ENV}-0`, '--user', 'alice', '--keep']));
    one({ action: 'release', target: `${ENV}-0`, result: 'ok' });
  });

  test('ssh-proxy (the port-forward under every ssh connect) writes one record', async () => {
    const sandbox = `${ENV}-0`;
    const r = await run(['ssh-proxy', '--namespace', tc.namespace, '--pod', sandbox, '--kubeconfig', tc.kubeconfigPath, '--context', tc.context], []);
    ok(r);
    const rec = one({ action: 'port-forward', target: sandbox, result: 'ok' });
    assert.equal(rec.detail?.port, 2222);
    const bad = await run(['ssh-proxy', '--namespace', tc.namespace, '--pod', `${ENV}-9`, '--kubeconfig', tc.kubeconfigPath, '--context', tc.context], []);
    assert.equal(bad.code, 1);
    one({ action: 'port-forward', target: `${ENV}-9`, result: 'failed' });
  });

  test('read-only commands write nothing', async () => {
    ok(await run(['env', 'list']));
    ok(await run(['tmux', 'ls', `${ENV}-0`]));
    assert.deepEqual(fresh(), []);
  });
});
