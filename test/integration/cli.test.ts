// The `terrarium` CLI as users run it (the esbuild bundle, a separate process) against kube-sim, or
// a real cluster with TERRARIUM_TEST_KUBECONFIG. What the CLI did is checked over the API.
import { describe, test, before, after } from 'node:test';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bundledCli, clusterArgs, eventually, getTestCluster, kubeSimAvailable, runCli, usingRealCluster, type CliResult, type TestCluster,
} from './harness';
import { grantSandboxUsers } from './sandboxUsers';

const ENV = 'web';

function assertNoStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `a stack trace was printed:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /unexpected error/i, r.stderr);
}

/** A 404 from client-node (ApiException.code); anything else is a real failure. */
function isNotFound(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 404;
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

const noCluster = !usingRealCluster() && !kubeSimAvailable() ? 'needs kube-sim (test/kube-sim) or TERRARIUM_TEST_KUBECONFIG' : false;

describe('terrarium CLI against a cluster', { timeout: 240_000, skip: noCluster }, () => {
  let tc: TestCluster;
  let cli: (...args: string[]) => Promise<CliResult>;
  const image = process.env.TERRARIUM_TEST_IMAGE;

  const pvcNames = async () => (await tc.cluster.core.listNamespacedPersistentVolumeClaim({ namespace: tc.namespace })).items
    .map((p) => p.metadata?.name ?? '').filter((n) => n.startsWith(`workspace-${ENV}-`)).sort();
  // Absent means the API said 404; a 403, 500 or network error is a failure, never "absent".
  const statefulSet = async (name = ENV) => {
    try { return await tc.cluster.apps.readNamespacedStatefulSet({ name, namespace: tc.namespace }); } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const workspaces = (...ordinals: number[]) => ordinals.map((i) => `workspace-${ENV}-${i}`);
  const hasPvcs = (want: string[]) => async () => {
    const have = await pvcNames();
    return want.every((n) => have.includes(n)) ? have : undefined;
  };

  before(async () => {
    [tc] = await Promise.all([getTestCluster(), bundledCli()]);
    cli = (...args) => runCli([...args, ...clusterArgs(tc)]);
  });
  after(async () => { await tc?.cleanup(); });

  test('status names the context, namespace and health', async () => {
    const r = await cli('status');
    assertOk(r);
    assert.match(r.stdout, new RegExp(`Context:\\s+${tc.context}`));
    assert.match(r.stdout, new RegExp(`Namespace:\\s+${tc.namespace}`));
    assert.match(r.stdout, /Reachable/);
    const j = JSON.parse((await cli('status', '--json')).stdout);
    assert.equal(j.context, tc.context);
    assert.equal(j.namespace, tc.namespace);
    assert.equal(j.health.reachable, true);
    assert.deepEqual(j.environments, []);
  });

  test('env create makes an environment with 3 sandboxes and their workspaces', async () => {
    const r = await cli('env', 'create', ENV, '--replicas', '3', '--storage', '1Gi', '--cpu', '100m/1', '--memory', '256Mi/1Gi',
      ...(image ? ['--image', image] : []));
    assertOk(r);
    assert.match(r.stdout, /Created environment "web".* with 3 sandboxes/);
    assert.equal((await statefulSet())?.spec?.replicas, 3);
    await eventually(hasPvcs(workspaces(0, 1, 2)), 'the workspaces of web-0..2');
    const again = await cli('env', 'create', ENV);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assertNoStack(again);
  });

  test('scaling to 5 and back to 2 keeps the workspaces of ordinals 2-4', async () => {
    assertOk(await cli('env', 'scale', ENV, '5'));
    assert.equal((await statefulSet())?.spec?.replicas, 5);
    await eventually(hasPvcs(workspaces(0, 1, 2, 3, 4)), 'the workspaces of web-0..4');

    const down = await cli('env', 'scale', ENV, '2');
    assertOk(down);
    assert.match(down.stdout, /Scaled "web" from 5 to 2 sandboxes/);
    assert.match(down.stdout, /workspace-web-2, workspace-web-3 and workspace-web-4/);
    assert.equal((await statefulSet())?.spec?.replicas, 2);
    // The pods of ordinals 2-4 go away; their PVCs stay.
    await eventually(async () => {
      const pods = (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items.map((p) => p.metadata?.name);
      return !pods.some((n) => n === 'web-2' || n === 'web-3' || n === 'web-4');
    }, 'the pods of web-2..4 to go away', 120_000);
    assert.deepEqual(await pvcNames(), workspaces(0, 1, 2, 3, 4));
  });

  test('--json output parses and describes the environment and sandboxes', async () => {
    const list = JSON.parse((await cli('env', 'list', '--json')).stdout);
    const web = list.environments.find((e: { name: string }) => e.name === ENV);
    assert.equal(web.desired, 2);
    assert.equal(web.namespace, tc.namespace);
    assert.deepEqual(web.memory, { request: '256Mi', limit: '1Gi' });
    assert.equal(web.storage.size, '1Gi');

    const r = await cli('sandbox', 'list', ENV, '--json');
    assertOk(r);
    const sandboxes = JSON.parse(r.stdout).sandboxes as { name: string; phase: string; workspace: string }[];
    assert.deepEqual(sandboxes.map((s) => s.name), ['web-0', 'web-1', 'web-2', 'web-3', 'web-4']);
    for (const s of sandboxes.slice(2)) assert.equal(s.phase, 'Stopped', JSON.stringify(s));
    assert.equal(sandboxes[3]!.workspace, 'workspace-web-3');

    const human = await cli('sandbox', 'list', ENV);
    assertOk(human);
    assert.match(human.stdout, /^NAME\s+ENVIRONMENT\s+WORKSPACE/);
    assert.match(human.stdout, /web-3\s+web\s+workspace-web-3.*Stopped/);
  });

  test('env stop scales to 0 and env start brings back the same number', async () => {
    const stop = await cli('env', 'stop', ENV);
    assertOk(stop);
    assert.match(stop.stdout, /Stopped "web" \(was 2 sandboxes\)/);
    assert.equal((await statefulSet())?.spec?.replicas, 0);
    const listed = await cli('env', 'list');
    assert.match(listed.stdout, /web\s+0\/0.*Stopped \(start brings back 2\)/);

    const start = await cli('env', 'start', ENV);
    assertOk(start);
    assert.match(start.stdout, /Started "web" with 2 sandboxes/);
    assert.equal((await statefulSet())?.spec?.replicas, 2);
  });

  test('sandbox restart replaces the pod', async () => {
    const readPod = async () => {
      try { return await tc.cluster.core.readNamespacedPod({ name: 'web-0', namespace: tc.namespace }); } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    const first = await eventually(readPod, 'the pod web-0');
    const r = await cli('sandbox', 'restart', 'web-0');
    assertOk(r);
    await eventually(async () => {
      const p = await readPod();
      return !!p && p.metadata?.uid !== first.metadata?.uid;
    }, 'a new web-0 pod', 120_000);
    const missing = await cli('sandbox', 'restart', 'web-9');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /"web-9" has no pod/);
    assertNoStack(missing);
  });

  test('env delete keeps the workspaces and says so; --delete-workspaces removes them', async () => {
    const r = await cli('env', 'delete', ENV);
    assertOk(r);
    assert.match(r.stdout, /Deleted environment "web"/);
    assert.match(r.stdout, /Kept 5 workspaces .*workspace-web-0.*workspace-web-4/);
    await eventually(async () => !(await statefulSet()), 'the StatefulSet to be deleted', 120_000);
    assert.deepEqual(await pvcNames(), workspaces(0, 1, 2, 3, 4));

    const refused = await cli('env', 'delete', ENV, '--delete-workspaces');
    assert.equal(refused.code, 2, 'deleting data without --yes from a script is refused');
    assert.match(refused.stderr, /--yes/);
    assert.deepEqual(await pvcNames(), workspaces(0, 1, 2, 3, 4));

    const all = await cli('env', 'delete', ENV, '--delete-workspaces', '--yes', '--json');
    assertOk(all);
    assert.deepEqual(JSON.parse(all.stdout), { deleted: ENV, keptWorkspaces: [], deletedWorkspaces: workspaces(0, 1, 2, 3, 4), sshConfigRemoved: null, hostKeyPinsRemoved: 0 });
    await eventually(async () => (await pvcNames()).length === 0, 'the workspaces to be deleted', 120_000);

    const gone = await cli('env', 'delete', ENV);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /There is no environment "web"/);
    assertNoStack(gone);
  });

  test('bad input exits non-zero with a clear message and no stack trace', async () => {
    const bad: [string[], number, RegExp][] = [
      [['env', 'create', 'Bad_Name'], 1, /"Bad_Name" is not a valid Kubernetes name/],
      [['env', 'create', 'big', '--replicas', '500'], 1, /500 is not a valid number of sandboxes: use a whole number from 0 to 20/],
      [['env', 'create', 'big', '--memory', 'lots'], 1, /memory request "lots" is not a Kubernetes quantity/],
      [['env', 'scale', ENV, 'many'], 2, /must be a whole number, not "many"[\s\S]*usage: terrarium env scale NAME \[N\]/],
      [['env', 'create', 'x', '--replica', '3'], 2, /unknown option --replica[\s\S]*usage: terrarium env create NAME/],
      [['env', 'scale', ENV], 2, /missing number of sandboxes N \(or --warm N for warm spares\)/],
      [['env', 'frobnicate'], 2, /unknown command "env frobnicate"/],
    ];
    for (const [args, code, message] of bad) {
      const r = await cli(...args);
      assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assertNoStack(r);
    }
    // Every name the commands above tried: none of them may exist now (web was deleted earlier).
    const tried = [...new Set(bad.map(([args]) => args).filter((a) => a[0] === 'env' && a[2] !== undefined).map((a) => a[2]!))];
    assert.deepEqual(tried.sort(), ['Bad_Name', 'big', 'web', 'x']);
    for (const name of tried) assert.equal(await statefulSet(name), undefined, `nothing was created: ${name}`);
    const all = (await tc.cluster.apps.listNamespacedStatefulSet({ namespace: tc.namespace })).items.map((x) => x.metadata?.name);
    assert.deepEqual(all, [], 'no StatefulSet at all');
  });

  test('an unknown context or a missing kubeconfig is explained', async () => {
    const ctx = await runCli(['env', 'list', '--kubeconfig', tc.kubeconfigPath, '--context', `${tc.context}-nope`]);
    assert.equal(ctx.code, 1);
    assert.match(ctx.stderr, new RegExp(`There is no context "${tc.context}-nope"`));
    assert.match(ctx.stderr, /--context/);
    assertNoStack(ctx);

    const home = mkdtempSync(join(tmpdir(), 'terrarium-home-'));
    try {
      const missing = await runCli(['env', 'list', '--kubeconfig', join(home, 'absent.yaml')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /absent\.yaml does not exist/);
      assertNoStack(missing);

      const none = await runCli(['status'], { env: { HOME: home } });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /kubeconfig/i);
      assertNoStack(none);

      writeFileSync(join(home, 'broken.yaml'), 'clusters: [ {');
      const broken = await runCli(['env', 'list', '--kubeconfig', join(home, 'broken.yaml')]);
      assert.equal(broken.code, 1);
      assertNoStack(broken);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('terrarium CLI without a cluster', () => {
  test('--help and --version answer at once; no command is a usage error', async () => {
    const help = await runCli(['--help']);
    assertOk(help);
    assert.match(help.stdout, /env create NAME/);
    assert.match(help.stdout, /sandbox restart NAME-ORDINAL/);
    const version = await runCli(['--version']);
    assertOk(version);
    assert.match(version.stdout, /^terrarium \d+\.\d+\.\d+/);
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: terrarium/);
  });
});

describe('terrarium CLI: claim and release, agent sessions, forward', { timeout: 240_000, skip: noCluster }, () => {
  const POOL = 'pool';
  let tc: TestCluster;
  let home: string;
  let cli: (...args: string[]) => Promise<CliResult>;
  const claimedBy = async (sandbox: string) => (await tc.cluster.core.readNamespacedPersistentVolumeClaim({
    name: `workspace-${sandbox}`, namespace: tc.namespace })).metadata?.annotations?.['terrarium.dev/claimed-by'];

  before(async () => {
    [tc] = await Promise.all([getTestCluster(), bundledCli()]);
    await grantSandboxUsers(tc.cluster); // --user ada: the admin acts for ada (impersonation)
    home = mkdtempSync(join(tmpdir(), 'terrarium-cli-home-'));
    // Global options first: everything after `tmux new ... --` is the session's command.
    cli = (...args) => runCli([...clusterArgs(tc), ...args], { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') } });
    assertOk(await cli('env', 'create', POOL, '--replicas', '2', ...(process.env.TERRARIUM_TEST_IMAGE ? ['--image', process.env.TERRARIUM_TEST_IMAGE] : [])));
    await eventually(async () => {
      const pods = (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items;
      return pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
    }, 'pool-0 and pool-1 ready', 120_000);
  });
  after(async () => {
    await tc?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('sandbox claim gives each user their own sandbox; release gives it back, only by its holder', async () => {
    const ada = await cli('sandbox', 'claim', POOL, '--user', 'ada', '--no-key');
    assertOk(ada);
    assert.match(ada.stdout, /pool-0 is now yours \(ada\)/);
    assert.equal(await claimedBy('pool-0'), 'ada');
    const again = JSON.parse((await cli('sandbox', 'claim', POOL, '--user', 'ada', '--no-key', '--json')).stdout);
    assert.deepEqual([again.sandbox, again.existing], ['pool-0', true]);
    const bob = JSON.parse((await cli('sandbox', 'claim', POOL, '--user', 'bob', '--no-key', '--json')).stdout);
    assert.equal(bob.sandbox, 'pool-1');
    const full = await cli('sandbox', 'claim', POOL, '--user', 'cy', '--no-key');
    assert.equal(full.code, 1);
    assert.match(full.stderr, /No free sandbox in environment pool/);
    assertNoStack(full);

    const notYours = await cli('sandbox', 'release', 'pool-0', '--user', 'bob', '--no-key');
    assert.equal(notYours.code, 1);
    assert.match(notYours.stderr, /claimed by ada, not by bob/);
    assertNoStack(notYours);
    assert.equal(await claimedBy('pool-0'), 'ada');
    const released = await cli('sandbox', 'release', 'pool-0', '--user', 'ada', '--keep');
    assertOk(released);
    assert.match(released.stdout, /Released pool-0 \(was ada\)/);
    assert.equal(await claimedBy('pool-0'), undefined);
    assert.match((await cli('sandbox', 'release', 'pool-0', '--user', 'ada', '--no-key')).stdout, /pool-0 was not claimed/);
  });

  test('tmux new/send/capture/kill drive an agent session in the sandbox', async () => {
    assertOk(await cli('tmux', 'new', 'pool-1', 'agent', '--', 'sh'));
    const listed = JSON.parse((await cli('tmux', 'ls', 'pool-1', '--json')).stdout);
    assert.deepEqual(listed.sessions.map((s: { name: string }) => s.name), ['agent']);
    // The shell computes it, so seeing 42 shows the keys reached the session and ran.
    assertOk(await cli('tmux', 'send', 'pool-1', 'agent', 'echo', 'answer-$((6*7))'));
    await eventually(async () => /answer-42/.test((await cli('tmux', 'capture', 'pool-1', 'agent')).stdout), 'answer-42 in the session', 30_000);
    const killed = await cli('tmux', 'kill', 'pool-1', 'agent');
    assertOk(killed);
    assert.match(killed.stdout, /Stopped agent session "agent" in pool-1/);
    assert.deepEqual(JSON.parse((await cli('tmux', 'ls', 'pool-1', '--json')).stdout).sessions, []);
    const gone = await cli('tmux', 'capture', 'pool-1', 'agent');
    assert.equal(gone.code, 1, gone.stderr);
    assertNoStack(gone);
  });

  test('forward: a TCP connection to the local port reaches the pod\'s sshd, Ctrl-C stops it', async () => {
    const child = spawn(process.execPath, [await bundledCli(), 'forward', 'pool-0', ...clusterArgs(tc)],
      { env: { PATH: process.env.PATH, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const port = await eventually(async () => Number(/Forwarding 127\.0\.0\.1:(\d+) ->/.exec(out)?.[1]) || undefined, `the forward to start (${err})`, 60_000);
      // sshd speaks first: its banner can only come from the pod's port 2222.
      const banner = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port });
        let got = '';
        s.setEncoding('utf8').on('data', (d: string) => { got += d; if (got.includes('\n')) { s.destroy(); resolve(got); } });
        s.on('error', reject);
        s.setTimeout(30_000, () => { s.destroy(); reject(new Error(`no banner through the forward: ${got}`)); });
      });
      assert.match(banner, /^SSH-2\.0-/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, `forward exits cleanly on Ctrl-C: ${err}`);
  });
});
