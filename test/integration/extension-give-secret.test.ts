/**
 * The Secrets panel's "Give to sandboxes" on kube-sim with the VSO stand-in: the webview's message
 * is validated by src/shared/protocol.ts, the flow warns that sandboxes restart and names the
 * claimed one by its holder, gives the Secret as env vars or files under /run/secrets/NAME, rolls
 * the pods, and adds the environment to the VaultStaticSecret's rolloutRestartTargets when asked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { planEnvironmentUpdate, updateEnvironment } from '../../src/core/devenv/operations';
import { addRestartTarget, restartsOnRotation } from '../../src/core/secrets/restartTargets';
import { parseWebviewMessage } from '../../src/shared/protocol';
import { AS_ENV, asFiles, giveToSandboxes, RESTART_ON_ROTATION, type GiveHost, type GiveMessage, type GiveOps } from '../../src/extension/secretsPanel/giveSecret';
import { eventually } from './harness';

const NS = 'devenv';
const ENV = 'sample';
const STS = 'statefulsets.apps';
const VSS = 'vaultstaticsecrets.secrets.hashicorp.com';

const ops: GiveOps = {
  plan: (c, env, change) => planEnvironmentUpdate(c, env, change),
  apply: (c, plan) => updateEnvironment(c, plan),
  restartsOnRotation: (c, kind, name, sts) => restartsOnRotation(c, kind, name, sts),
  addRestartTarget: (c, kind, name, sts) => addRestartTarget(c, kind, name, sts),
};

/** Answers the modal questions in order and records them; notices too. */
function host(answers: (string | undefined)[]) {
  const asked: { message: string; detail: string; actions: string[] }[] = [];
  const notices: string[] = [];
  const h: GiveHost = {
    ask: async (message, detail, actions) => { asked.push({ message, detail, actions }); return answers.shift(); },
    notice: (level, message) => notices.push(`${level}: ${message}`),
  };
  return { h, asked, notices };
}

function message(raw: unknown): GiveMessage {
  const m = parseWebviewMessage(raw);
  assert.ok(m && m.type === 'give', `the protocol accepts ${JSON.stringify(raw)}`);
  return m;
}

const container = (sim: KubeSim) => sim.objects.get(STS, NS, ENV).spec.template.spec.containers.find((c: { name: string }) => c.name === 'devenv');

describe('Secrets panel: Give to sandboxes, on kube-sim', () => {
  let sim: KubeSim;
  let cluster: Cluster;
  let dir: string;

  before(async () => {
    sim = await startKubeSim({ runtime: false, sample: true });
    dir = mkdtempSync(join(tmpdir(), 'terrarium-give-'));
    const file = join(dir, 'kubeconfig');
    sim.writeKubeconfig(file, { namespace: NS });
    cluster = openCluster({ kubeconfigPath: file, namespace: NS, env: {} });
    await sim.waitRolledOut(NS, ENV);
    // alice holds sample-1 (the claim is the workspace's annotation).
    const pvc = sim.objects.get('persistentvolumeclaims', NS, `workspace-${ENV}-1`);
    pvc.metadata.annotations = { ...pvc.metadata.annotations, 'terrarium.dev/claimed-by': 'alice' };
    sim.objects.update('persistentvolumeclaims', pvc, { checkVersion: false });
  });
  after(async () => { await sim?.stop(); rmSync(dir, { recursive: true, force: true }); });

  test('the protocol refuses forged give messages', () => {
    for (const bad of [
      { type: 'give' }, { type: 'give', secret: 'Bad_Name' }, { type: 'give', secret: 'x', as: 'env' },
      { type: 'give', secret: 'x', source: { kind: 'Secret', name: 'x' } }, { type: 'give', secret: 'x', source: { kind: 'VaultStaticSecret', name: '../x' } },
      { type: 'give', secret: 'x', source: { kind: 'VaultStaticSecret', name: 'x', extra: 1 } },
    ]) assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  });

  test('dismissing the warning changes nothing', async () => {
    const before = JSON.stringify(sim.objects.get(STS, NS, ENV).spec.template);
    const { h, asked } = host([undefined]);
    const out = await giveToSandboxes(cluster, ENV, message({ type: 'give', secret: 'app-config', source: { kind: 'VaultStaticSecret', name: 'app-config' } }), h, ops);
    assert.deepEqual(out, { outcome: 'cancelled' });
    assert.equal(asked.length, 1);
    assert.equal(JSON.stringify(sim.objects.get(STS, NS, ENV).spec.template), before);
  });

  test('as environment variables: warned (restart, alice named as holder), rolled, and restarted on rotation when asked', async () => {
    const generation = sim.objects.get(STS, NS, ENV).metadata.generation;
    const { h, asked, notices } = host([AS_ENV, RESTART_ON_ROTATION]);
    const out = await giveToSandboxes(cluster, ENV, message({ type: 'give', secret: 'app-config', source: { kind: 'VaultStaticSecret', name: 'app-config' } }), h, ops);
    assert.equal(out.outcome, 'given');
    const warning = asked[0]!;
    assert.match(warning.message, /They restart/);
    assert.match(warning.detail, /restarts, one at a time/);
    assert.match(warning.detail, /sample-1 \(alice\)/, 'the claimed sandbox named with its holder');
    assert.doesNotMatch(warning.detail, /sample-0 \(/, 'the unclaimed one is not listed as claimed');
    assert.deepEqual(warning.actions, [AS_ENV, asFiles('app-config')]);
    assert.deepEqual(container(sim).envFrom, [{ secretRef: { name: 'app-config' } }]);
    assert.ok(sim.objects.get(STS, NS, ENV).metadata.generation > generation, 'the pod template changed: the pods roll');
    // The second question: VSO's rolloutRestartTargets, then the VaultStaticSecret names the StatefulSet.
    assert.match(asked[1]!.message, /when Vault rotates "app-config"/);
    assert.deepEqual(sim.objects.get(VSS, NS, 'app-config').spec.rolloutRestartTargets, [{ kind: 'StatefulSet', name: ENV }]);
    assert.equal(out.outcome === 'given' && out.restartOnRotation, 'added');
    assert.match(notices.join('\n'), /info: "app-config" is given to the sandboxes of "sample" as environment variables/);
    await sim.waitRolledOut(NS, ENV);
    await eventually(async () => sim.objects.list('pods', NS).filter((p) => p.metadata.labels?.['terrarium.dev/environment'] === ENV)
      .every((p) => p.spec.containers.find((c: { name: string }) => c.name === 'devenv')?.envFrom?.[0]?.secretRef?.name === 'app-config') || undefined,
    'every sandbox pod runs with the Secret', 30_000);
  });

  test('switched to files under /run/secrets/NAME; a rotation target already there is not asked again', async () => {
    const { h, asked } = host([asFiles('app-config')]);
    const out = await giveToSandboxes(cluster, ENV, message({ type: 'give', secret: 'app-config', source: { kind: 'VaultStaticSecret', name: 'app-config' } }), h, ops);
    assert.equal(out.outcome, 'given');
    assert.equal(asked.length, 1, 'no rotation question: the StatefulSet is already a target');
    const c = container(sim);
    assert.equal(c.envFrom?.some((e: { secretRef?: { name: string } }) => e.secretRef?.name === 'app-config') ?? false, false, 'no longer env');
    const mount = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/run/secrets/app-config');
    assert.ok(mount, 'mounted under /run/secrets/app-config');
    assert.equal(mount.readOnly, true);
    const vol = sim.objects.get(STS, NS, ENV).spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    assert.equal(vol.secret.secretName, 'app-config');
    assert.deepEqual(sim.objects.get(VSS, NS, 'app-config').spec.rolloutRestartTargets, [{ kind: 'StatefulSet', name: ENV }], 'one target, not two');
  });

  test('giving it the same way again restarts nothing; a plain Secret offers no rotation question', async () => {
    const generation = sim.objects.get(STS, NS, ENV).metadata.generation;
    const { h, asked, notices } = host([asFiles('app-config')]);
    const out = await giveToSandboxes(cluster, ENV, message({ type: 'give', secret: 'app-config' }), h, ops);
    assert.equal(out.outcome, 'unchanged');
    assert.equal(asked.length, 1);
    assert.equal(sim.objects.get(STS, NS, ENV).metadata.generation, generation);
    assert.match(notices.join('\n'), /already given/);
  });
});
