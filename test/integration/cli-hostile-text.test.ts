// Cluster text is data: a claim annotation carrying terminal escape sequences (OSC 52 writes the
// clipboard, CSI 2J clears the screen, a bare CR overwrites the line, U+009B is a one-character
// CSI) must reach no terminal raw, through the real CLI bundle against kube-sim or a cluster.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledCli, clusterArgs, eventually, getTestCluster, kubeSimAvailable, runCli, usingRealCluster, type CliResult, type TestCluster } from './harness';
import { grantSandboxUsers } from './sandboxUsers';
import { CLAIMED_AT, CLAIMED_BY } from '../../src/core/devenv/claims';

const ENV = 'hx';
const HOSTILE = 'mallory\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\rroot\u009b31m';

/** Raw C0 (except TAB and LF), DEL or C1 anywhere in the output. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/;

function assertInert(r: CliResult, what: string): void {
  for (const [name, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    const m = RAW_CONTROL.exec(text);
    assert.equal(m, null, `${what}: ${name} has a raw control character U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`);
  }
}

const noCluster = !usingRealCluster() && !kubeSimAvailable() ? 'needs kube-sim (test/kube-sim) or TERRARIUM_TEST_KUBECONFIG' : false;

describe('hostile claim annotations stay inert in the CLI', { timeout: 180_000, skip: noCluster }, () => {
  let tc: TestCluster;
  let cli: (...args: string[]) => Promise<CliResult>;

  before(async () => {
    [tc] = await Promise.all([getTestCluster(), bundledCli()]);
    await grantSandboxUsers(tc.cluster); // --user bob: the admin acts for bob (impersonation)
    cli = (...args) => runCli([...args, ...clusterArgs(tc)]);
    const created = await cli('env', 'create', ENV, '--replicas', '1', '--storage', '1Gi', ...(process.env.TERRARIUM_TEST_IMAGE ? ['--image', process.env.TERRARIUM_TEST_IMAGE] : []));
    assert.equal(created.code, 0, created.stderr);
    // Whoever can write the PVC writes the claim: here, directly over the API, with escapes in it.
    const name = `workspace-${ENV}-0`;
    const pvc = await eventually(async () => {
      try { return await tc.cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace: tc.namespace }); } catch { return undefined; }
    }, `PVC ${name}`);
    pvc.metadata!.annotations = { ...pvc.metadata!.annotations, [CLAIMED_BY]: HOSTILE, [CLAIMED_AT]: `2026-01-01T00:00:00Z\x1b[1A` };
    await tc.cluster.core.replaceNamespacedPersistentVolumeClaim({ name, namespace: tc.namespace, body: pvc });
  });
  after(async () => { await tc?.cleanup(); });

  test('sandbox list shows the claim with visible escapes, not raw', async () => {
    const r = await cli('sandbox', 'list', ENV);
    assert.equal(r.code, 0, r.stderr);
    assertInert(r, 'sandbox list');
    assert.ok(r.stdout.includes('mallory\\x1b]52;c;ZWNobyBoaQ==\\x07\\x1b[2J\\rroot\\u009b31m'), r.stdout);
  });

  test('sandbox list --json escapes every control character and keeps the value', async () => {
    const r = await cli('sandbox', 'list', ENV, '--json');
    assert.equal(r.code, 0, r.stderr);
    assertInert(r, 'sandbox list --json');
    const parsed = JSON.parse(r.stdout);
    const rows: { name: string; claimedBy: string | null }[] = Array.isArray(parsed) ? parsed : parsed.sandboxes;
    assert.equal(rows.find((s) => s.name === `${ENV}-0`)?.claimedBy, HOSTILE);
  });

  test('the "is claimed by" errors of claim and release are inert', async () => {
    const claim = await cli('sandbox', 'claim', ENV, '--sandbox', `${ENV}-0`, '--user', 'bob', '--no-key');
    assert.equal(claim.code, 1, claim.stderr);
    assert.match(claim.stderr, /is claimed by mallory\\x1b\]52/);
    assertInert(claim, 'sandbox claim');

    const json = await cli('sandbox', 'claim', ENV, '--sandbox', `${ENV}-0`, '--user', 'bob', '--no-key', '--json');
    assertInert(json, 'sandbox claim --json');

    const release = await cli('sandbox', 'release', `${ENV}-0`, '--user', 'bob', '--no-key');
    assert.equal(release.code, 1, release.stderr);
    assert.match(release.stderr, /is claimed by mallory\\x1b/);
    assertInert(release, 'sandbox release');

    const forced = await cli('sandbox', 'release', `${ENV}-0`, '--user', 'bob', '--no-key', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /was mallory\\x1b/);
    assertInert(forced, 'sandbox release --force');
  });

  test('canary: an agent command with keys in it never shows them in output, errors or the audit log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'terrarium-canary-'));
    const auditLog = join(dir, 'audit.log');
    // The cluster options go before "--": what follows is the agent's own argv.
    const run = (...args: string[]) => {
      const end = args.includes('--') ? args.indexOf('--') : args.length;
      return runCli([...args.slice(0, end), ...clusterArgs(tc), ...args.slice(end)], { env: { TERRARIUM_AUDIT_LOG: auditLog } });
    };
    const keys = ['sk-ant-api03-C4N4RYc4n4ryC4N4RY', 'sk-proj-C4N4RYopenaiC4N4RY0123456789', 'C4N4RY-plain-pw'];
    const agent = ['env', `ANTHROPIC_API_KEY=${keys[0]}`, `DB_PASSWORD=${keys[2]}`, 'sh', '-c', 'sleep 60', 'agent', '--openai-api-key', keys[1]!];
    try {
      await eventually(async () => (await run('tmux', 'ls', `${ENV}-0`)).code === 0, `tmux in ${ENV}-0`, 120_000, 500);
      const outputs: CliResult[] = [];
      outputs.push(await run('tmux', 'new', `${ENV}-0`, 'agent', '--audit', '--', ...agent));
      assert.equal(outputs[0]!.code, 0, outputs[0]!.stderr);
      // The same again fails (the session exists): the failure is reported and audited too.
      outputs.push(await run('tmux', 'new', `${ENV}-0`, 'agent', '--audit', '--json', '--', ...agent));
      assert.equal(outputs[1]!.code, 1, outputs[1]!.stderr);
      outputs.push(await run('tmux', 'send', `${ENV}-0`, 'agent', '--audit', `export GITHUB_TOKEN=${keys[2]}; claude --api-key=${keys[1]}`));
      assert.equal(outputs[2]!.code, 0, outputs[2]!.stderr);
      const log = existsSync(auditLog) ? readFileSync(auditLog, 'utf8') : '';
      assert.ok(log.split('\n').filter(Boolean).length >= 3, `audit records were written: ${log}`);
      assert.match(log, /ANTHROPIC_API_KEY=\[redacted\]/, 'the command is audited, its keys redacted');
      for (const text of [log, ...outputs.flatMap((r) => [r.stdout, r.stderr])]) {
        for (const k of keys) assert.ok(!text.includes(k) && !text.includes('C4N4RY'), `a key leaked: ${text}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
