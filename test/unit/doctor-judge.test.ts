// The doctor's pure judgements (issue 12): CNI from kube-system workloads, DNS under the egress
// policy (Service address vs NodeLocal DNSCache), server version, image pull causes; the VSO
// objects and helm command lines platform install renders.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeCni, missingFeatures, NODE_LOCAL_DNS, policyAllowsDns, pullCause } from '../../src/core/platform/doctorJudge';
import { renderQuota, renderVsoObjects, shellLine, vsoHelmPlan } from '../../src/core/platform/extras';
import { renderEnvironment } from '../../src/core/devenv/render';
import { sshVersionOf } from '../../src/core/platform/doctorLocal';
import { isTerrariumError } from '../../src/core/kube/errors';

describe('CNI judgement', () => {
  test('known enforcing CNIs are recognised from pod and DaemonSet names', () => {
    for (const [names, cni] of [
      [['calico-node-x7k2p', 'coredns-abc'], 'Calico'], [['cilium-4kq9z', 'cilium-operator-1'], 'Cilium'],
      [['antrea-agent-z'], 'Antrea'], [['weave-net-q'], 'Weave Net'], [['kube-router-abc'], 'kube-router'],
    ] as const) {
      assert.deepEqual(judgeCni(names), { found: [cni], enforces: true }, cni);
    }
  });
  test('kindnet and flannel do not enforce NetworkPolicy; canal (flannel + Calico) does', () => {
    assert.deepEqual(judgeCni(['kindnet-abcde', 'kube-proxy-x']), { found: ['kindnet'], enforces: false });
    assert.deepEqual(judgeCni(['kube-flannel-ds-7']), { found: ['flannel'], enforces: false });
    assert.equal(judgeCni(['canal-x', 'kube-flannel-ds-7']).enforces, true);
  });
  test('nothing known: cannot tell', () => {
    assert.deepEqual(judgeCni(['coredns-1', 'kube-proxy-2']), { found: [] });
  });
});

describe('DNS under the egress policy', () => {
  const rendered = (renderEnvironment({ name: 'probe' }, { namespace: 'devenv' }).find((o) => o.kind === 'NetworkPolicy') as any).spec.egress;

  test('the rendered policy allows the kube-dns Service (its pods are in kube-system)', () => {
    assert.equal(policyAllowsDns(rendered, { address: '10.96.0.10', podNamespace: 'kube-system' }), true);
  });
  test('a node-local listener is no pod: only an ipBlock covering it, not excepted, allows it', () => {
    const nsOnly = [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }], ports: [{ protocol: 'UDP', port: 53 }] }];
    assert.equal(policyAllowsDns(nsOnly, { address: NODE_LOCAL_DNS }), false);
    const publicOnly = [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }] }];
    assert.equal(policyAllowsDns(publicOnly, { address: NODE_LOCAL_DNS }), false, 'excepted by the link-local range');
    const allowed = [...nsOnly, { to: [{ ipBlock: { cidr: `${NODE_LOCAL_DNS}/32` } }], ports: [{ protocol: 'UDP', port: 53 }] }];
    assert.equal(policyAllowsDns(allowed, { address: NODE_LOCAL_DNS }), true);
    const tcpOnly = [{ to: [{ ipBlock: { cidr: `${NODE_LOCAL_DNS}/32` } }], ports: [{ protocol: 'TCP', port: 53 }] }];
    assert.equal(policyAllowsDns(tcpOnly, { address: NODE_LOCAL_DNS }), false, 'DNS is UDP first');
    assert.equal(policyAllowsDns(rendered, { address: NODE_LOCAL_DNS }),
      rendered.some((r: any) => r.to?.some((p: any) => p.ipBlock?.cidr === `${NODE_LOCAL_DNS}/32`)), 'the rendered policy allows NodeLocal only through an explicit block');
  });
  test('a namespace selector of another namespace does not allow kube-system DNS; no Egress type is open', () => {
    const other = [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'openshift-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }];
    assert.equal(policyAllowsDns(other, { address: '10.96.0.10', podNamespace: 'kube-system' }), false);
    assert.equal(policyAllowsDns(other, { address: '172.30.0.10', podNamespace: 'openshift-dns' }), true);
    assert.equal(policyAllowsDns(undefined, { address: NODE_LOCAL_DNS }), true);
    assert.equal(policyAllowsDns([], { address: '10.96.0.10', podNamespace: 'kube-system' }), false, 'Egress with no rules denies all');
  });
});

describe('server version and pull causes', () => {
  test('below 1.30 the claim policy is missing; below 1.28 SelfSubjectReview too; unreadable says nothing', () => {
    assert.deepEqual(missingFeatures('v1.32.1'), []);
    assert.deepEqual(missingFeatures('v1.30.0-eks-1'), []);
    assert.deepEqual(missingFeatures('v1.29.4'), ['ValidatingAdmissionPolicy v1 (the claim policy) needs 1.30']);
    assert.equal(missingFeatures('v1.27.0').length, 2);
    assert.deepEqual(missingFeatures(undefined), []);
  });
  test('pull failures are explained with their fix', () => {
    assert.match(pullCause('failed to authorize: 401 Unauthorized'), /imagePullSecrets/);
    assert.match(pullCause('rpc error: code = NotFound desc = manifest unknown'), /does not exist.*build and push/);
    assert.match(pullCause('no matching manifest for linux/arm64 in the manifest list entries'), /architecture/);
  });
  test('ssh -V output', () => {
    assert.equal(sshVersionOf('OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024'), 'OpenSSH_9.2p1');
    assert.equal(sshVersionOf('OpenSSH_for_Windows_9.5p1, LibreSSL 3.8.2'), 'OpenSSH_for_Windows_9.5p1');
  });
});

describe('platform install extras', () => {
  test('helm plan: repo add, then upgrade --install of the pinned chart into the same cluster', () => {
    const plan = vsoHelmPlan({ kubeconfig: '/home/a b/.kube/config', context: 'prod' });
    assert.deepEqual(plan.map((s) => s.argv), [
      ['helm', 'repo', 'add', 'hashicorp', 'https://helm.releases.hashicorp.com', '--force-update'],
      ['helm', 'upgrade', '--install', 'vault-secrets-operator', 'hashicorp/vault-secrets-operator', '--version', '1.6.0',
        '-n', 'vault-secrets-operator-system', '--create-namespace', '--kubeconfig', '/home/a b/.kube/config', '--kube-context', 'prod'],
    ]);
    assert.match(shellLine(plan[1]!), / --kubeconfig '\/home\/a b\/\.kube\/config' --kube-context prod$/);
  });
  test('quota: only the limits given; none without flags; bad quantities refused with an example', () => {
    assert.equal(renderQuota('devenv', {}), undefined);
    assert.deepEqual(renderQuota('devenv', { memory: '64Gi' })!.spec.hard, { 'requests.memory': '64Gi' });
    assert.throws(() => renderQuota('devenv', { storage: 'lots' }), (e) => isTerrariumError(e, 'InvalidInput') && /--quota-storage 500Gi/.test((e as any).hint));
    assert.throws(() => renderQuota('devenv', { pods: '1.5' }), /whole number/);
  });
  test('VaultAuth uses the Kubernetes method with the role, mount and ServiceAccount; a bad address is refused', () => {
    const [sa, conn, auth] = renderVsoObjects('devenv', { address: 'https://vault.example:8200/', role: 'agents' });
    assert.equal(sa!.metadata!.name, 'terrarium-vault');
    assert.equal(conn!.spec.address, 'https://vault.example:8200');
    assert.deepEqual(auth!.spec, { vaultConnectionRef: 'terrarium', method: 'kubernetes', mount: 'kubernetes', kubernetes: { role: 'agents', serviceAccount: 'terrarium-vault' } });
    assert.throws(() => renderVsoObjects('devenv', { address: 'vault:8200', role: 'x' }), /not an http\(s\) URL/);
  });
});
