/**
 * kubectl (a real client) against kube-sim's admission and validation: the texts users see from
 * `kubectl run` into a Pod Security restricted namespace, its warnings, `kubectl apply` of an
 * invalid StatefulSet (422), of an unknown field (kubectl sends fieldValidation=Strict), of a custom
 * resource breaking its schema, and a ValidatingAdmissionPolicy denial.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { kubectlSkipReason, kubectlWith, pythonSkipReason } from './realClients';

describe('kubectl sees kube-sim admission as on a real cluster', { skip: kubectlSkipReason() }, () => {
  let sim: KubeSim;
  let dir: string, kc: string;
  const kubectl = kubectlWith(() => kc);

  before(async () => {
    sim = await startKubeSim({ runtime: false });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-admission-'));
    kc = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kc);
    for (const [ns, label] of [['r', 'enforce=restricted'], ['w', 'warn=baseline']]) {
      assert.equal((await kubectl(['create', 'namespace', ns!])).code, 0);
      assert.equal((await kubectl(['label', 'namespace', ns!, `pod-security.kubernetes.io/${label}`])).code, 0);
    }
  });
  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl run into a restricted namespace: the PodSecurity 403; into a warn namespace: the Warning line', async () => {
    const r = await kubectl(['run', 'x', '--image=busybox', '-n', 'r']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods "x" is forbidden: violates PodSecurity "restricted:latest": '
      + 'allowPrivilegeEscalation != false (container "x" must set securityContext.allowPrivilegeEscalation=false), '
      + 'unrestricted capabilities (container "x" must set securityContext.capabilities.drop=["ALL"]), '
      + 'runAsNonRoot != true (pod or container "x" must set securityContext.runAsNonRoot=true), '
      + 'seccompProfile (pod or container "x" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    const w = await kubectl(['run', 'y', '--image=busybox', '-n', 'w', '--privileged']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stderr.trim(), 'Warning: would violate PodSecurity "baseline:latest": privileged (container "y" must not set securityContext.privileged=true)');
  });

  test('kubectl apply of an invalid StatefulSet shows the 422 causes; an unknown field the strict decoding error', async () => {
    const bad = await kubectl(['apply', '-n', 'w', '-f', '-'], 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: bad}\nspec: {serviceName: bad, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c}]}}}\n');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim(), 'The StatefulSet "bad" is invalid: \n* spec.selector: Required value\n* spec.template.spec.containers[0].image: Required value');
    const unknown = await kubectl(['apply', '-n', 'w', '-f', '-'], 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: u}\nspec: {replica: 2, serviceName: u, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim(), 'Error from server (BadRequest): error when creating "STDIN": StatefulSet in version "v1" cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.replica"');
  });

  test('kubectl apply of a custom resource against its schema; a ValidatingAdmissionPolicy denial', async () => {
    const crd = await kubectl(['apply', '-n', 'w', '-f', '-'], 'apiVersion: secrets.hashicorp.com/v1beta1\nkind: VaultStaticSecret\nmetadata: {name: v}\nspec: {mount: s, path: p, type: kv-v3, destination: {name: d}}\n');
    assert.equal(crd.code, 1);
    assert.equal(crd.stderr.trim(), 'The VaultStaticSecret "v" is invalid: spec.type: Unsupported value: "kv-v3": supported values: "kv-v1", "kv-v2"');
    const policy = [
      'apiVersion: admissionregistration.k8s.io/v1', 'kind: ValidatingAdmissionPolicy', 'metadata: {name: small}',
      'spec:', '  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}]}',
      '  validations: [{expression: "size(object.data) <= 1", message: "at most one key"}]', '---',
      'apiVersion: admissionregistration.k8s.io/v1', 'kind: ValidatingAdmissionPolicyBinding', 'metadata: {name: small-binding}',
      'spec: {policyName: small, validationActions: [Deny]}', ''].join('\n');
    const applied = await kubectl(['apply', '-f', '-'], policy);
    assert.equal(applied.code, 0, applied.stderr);
    const denied = await kubectl(['create', 'configmap', 'two', '-n', 'w', '--from-literal=a=1', '--from-literal=b=2']);
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr.trim(), 'error: failed to create configmap: configmaps "two" is forbidden: ValidatingAdmissionPolicy \'small\' with binding \'small-binding\' denied request: at most one key');
  });
});

test('python3-kubernetes: a restricted namespace refuses a plain pod with ApiException 403 and the PodSecurity text; a StatefulSet without spec is a 422', { skip: pythonSkipReason() }, async () => {
  const sim = await startKubeSim({ runtime: false });
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-admission-py-'));
  try {
    const kc = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kc);
    const script = [
      'import json, sys',
      'from kubernetes import client, config',
      'from kubernetes.client.rest import ApiException',
      'api = config.new_client_from_config(config_file=sys.argv[1])',
      'core, apps, out = client.CoreV1Api(api), client.AppsV1Api(api), {}',
      'core.create_namespace({"metadata": {"name": "r", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})',
      'try:',
      '    core.create_namespaced_pod("r", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]}})',
      'except ApiException as e:',
      '    out["pod"] = {"status": e.status, "message": json.loads(e.body)["message"]}',
      'try:',
      '    apps.create_namespaced_stateful_set("r", {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}})',
      'except ApiException as e:',
      '    out["sts"] = {"status": e.status, "message": json.loads(e.body)["message"]}',
      'print(json.dumps(out))',
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) => execFile('/usr/bin/python3', ['-c', script, kc], { timeout: 60_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
      (err, out, errText) => (err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(out))));
    const out = JSON.parse(stdout);
    assert.equal(out.pod.status, 403);
    // The evaluator's order: baseline checks (privileged) before the restricted ones.
    assert.equal(out.pod.message, 'pods "p" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), '
      + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
      + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    assert.deepEqual(out.sts, { status: 422, message: 'StatefulSet.apps "s" is invalid: [spec.selector: Required value, spec.template.spec.containers: Required value]' });
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
