// The Job a `job run` creates: one try, cleaned up by the cluster, bounded in time, no token, and the
// sandboxes' Pod Security "restricted" contexts (from manifests/statefulset.yaml, not a copy); the
// user's command reaches the pod as argv (never a shell line of ours) and bad input is refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadManifest } from '../../src/core/devenv/manifests';
import { GO_FILE, HOLD_ARGV, parseEnvPair, renderJob, timeoutSeconds, WAIT_ARGV, type JobSpec } from '../../src/core/jobs/render';
import { ANNOTATION_CREATED_BY, LABEL_JOB, LABEL_OWNER } from '../../src/core/jobs/names';
import { jobState } from '../../src/core/jobs/state';
import { jobPodsByUser } from '../../src/core/jobs/access';
import { isTerrariumError } from '../../src/core/kube/errors';

const base: JobSpec = { name: 'job-a', image: 'busybox', command: ['echo', '$(rm -rf /)', ';', 'x'], mode: 'run' };
const render = (s: Partial<JobSpec> = {}) => renderJob({ ...base, ...s }, { namespace: 'devenv', owner: { username: 'alice@example.com' } });

describe('renderJob', () => {
  test('one try, TTL, deadline, no token, Never restarts', () => {
    const j = render({ ttlSeconds: 60, timeout: '1h30m' });
    assert.deepEqual([j.apiVersion, j.kind], ['batch/v1', 'Job']);
    assert.equal(j.spec.backoffLimit, 0);
    assert.equal(j.spec.ttlSecondsAfterFinished, 60);
    assert.equal(j.spec.activeDeadlineSeconds, 5400);
    const pod = j.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    assert.equal(render().spec.ttlSecondsAfterFinished, 300);
    assert.equal(render().spec.activeDeadlineSeconds, 1800);
  });

  test('Pod Security "restricted": the sandboxes\' pod and container contexts, read-only root with emptyDirs', () => {
    const j = render();
    const pod = j.spec.template.spec;
    const c = pod.containers[0];
    const [sts] = loadManifest('statefulset');
    assert.deepEqual(pod.securityContext, sts!.spec.template.spec.securityContext);
    assert.deepEqual(c.securityContext, sts!.spec.template.spec.containers[0].securityContext);
    // The restricted profile's checks, spelled out (pod-security-standards "Restricted").
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.equal(c.securityContext.privileged, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
    assert.ok(pod.volumes.every((v: any) => v.emptyDir || v.secret), 'only emptyDir and secret volumes');
    assert.deepEqual(c.volumeMounts.map((m: any) => m.mountPath).sort(), ['/tmp', '/workspace']);
    assert.ok(c.resources.limits.memory && c.resources.limits.cpu);
  });

  test('labels: the Job, its owner (a label-safe slug) and the sandboxes\' NetworkPolicy labels on the pods; the creator verbatim in an annotation', () => {
    const j = render({ environment: 'ci' });
    assert.equal(j.metadata.labels[LABEL_JOB], 'job-a');
    assert.match(j.metadata.labels[LABEL_OWNER], /^alice-example-com-[0-9a-f]{10}$/);
    assert.equal(j.metadata.annotations[ANNOTATION_CREATED_BY], 'alice@example.com');
    const labels = j.spec.template.metadata.labels;
    assert.equal(labels['app.kubernetes.io/name'], 'terrarium');
    assert.equal(labels['terrarium.dev/environment'], 'ci');
    assert.equal(render().spec.template.metadata.labels['terrarium.dev/environment'], 'jobs');
    assert.equal(j.spec.template.metadata.annotations[ANNOTATION_CREATED_BY], 'alice@example.com');
  });

  test('jobPodsByUser: running pods of Jobs, by the creator their template names; finished, terminating or un-owned pods grant nothing', () => {
    const pod = (name: string, user: string | undefined, extra: Record<string, unknown> = {}, phase = 'Running') => ({
      metadata: { name, annotations: (user ? { [ANNOTATION_CREATED_BY]: user } : {}) as Record<string, string>, ownerReferences: [{ kind: 'Job', controller: true }], ...extra }, status: { phase },
    });
    const m = jobPodsByUser([
      pod('b-1', 'bob'), pod('a-2', 'alice'), pod('a-1', 'alice'), pod('done', 'alice', {}, 'Succeeded'), pod('gone', 'alice', { deletionTimestamp: 'x' }),
      pod('sts', 'alice', { ownerReferences: [{ kind: 'StatefulSet', controller: true }] }), pod('bare', 'alice', { ownerReferences: [] }), pod('anon', undefined),
    ]);
    assert.deepEqual([...m], [['bob', ['b-1']], ['alice', ['a-1', 'a-2']]]);
  });

  test('the command is argv, exactly as given; held commands and start use constant scripts with the argv after them', () => {
    assert.deepEqual(render().spec.template.spec.containers[0].command, base.command);
    const held = render({ holdForFiles: true }).spec.template.spec.containers[0].command;
    assert.deepEqual(held, [...HOLD_ARGV, ...base.command]);
    assert.ok(HOLD_ARGV[2]!.includes(GO_FILE) && HOLD_ARGV[2]!.endsWith('exec "$@"'));
    assert.deepEqual(render({ mode: 'start', command: [] }).spec.template.spec.containers[0].command, [...WAIT_ARGV]);
  });

  test('env, secrets, memory and cpu', () => {
    const c = render({ env: { CI: '1' }, secrets: [{ name: 'keys', as: 'env' }, { name: 'certs', as: 'file' }], memory: '256Mi', cpu: '500m' }).spec.template.spec.containers[0];
    assert.deepEqual(c.env, [{ name: 'HOME', value: '/workspace' }, { name: 'CI', value: '1' }]);
    assert.deepEqual(c.envFrom, [{ secretRef: { name: 'keys' } }]);
    assert.ok(c.volumeMounts.some((m: any) => m.mountPath === '/run/secrets/certs' && m.readOnly));
    assert.deepEqual(c.resources, { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
  });

  test('bad input is refused with a hint', () => {
    for (const bad of [{ name: 'Bad_Name' }, { image: 'has space' }, { command: [] }, { ttlSeconds: -1 }, { memory: 'lots' }, { timeout: '0s' }, { timeout: 'forever' }] as Partial<JobSpec>[]) {
      assert.throws(() => render(bad), (e) => isTerrariumError(e, 'InvalidInput') && !!e.hint, JSON.stringify(bad));
    }
    assert.deepEqual(parseEnvPair('A=b=c'), ['A', 'b=c']);
    assert.throws(() => parseEnvPair('no-equals'), (e) => isTerrariumError(e, 'InvalidInput'));
    assert.equal(timeoutSeconds('2m'), 120);
  });
});

describe('jobState', () => {
  const job = (conditions: object[] = []) => ({ metadata: { name: 'j', labels: { 'terrarium.dev/job-mode': 'run' } }, spec: { activeDeadlineSeconds: 5, template: { spec: { containers: [{ image: 'img:1' }] } } }, status: { conditions } });
  const pod = (state: object) => ({ metadata: { name: 'j-abcde', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Pending', containerStatuses: [{ name: 'job', state }] } });
  test('each end has its exit code and reason; cluster text is made terminal-safe', () => {
    assert.deepEqual([jobState(job(), [pod({ terminated: { exitCode: 0, reason: 'Completed' } })]).exitCode], [0]);
    const err = jobState(job(), [pod({ terminated: { exitCode: 42, reason: 'Error' } })]);
    assert.deepEqual([err.phase, err.exitCode], ['failed', 42]);
    assert.equal(jobState(job(), [pod({ terminated: { exitCode: 137, reason: 'OOMKilled' } })]).reason, 'OOMKilled');
    const nf = jobState(job(), [pod({ terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "x\u001b[31m": executable file not found in $PATH' } })]);
    assert.deepEqual([nf.reason, nf.exitCode], ['CommandNotFound', 127]);
    assert.ok(!nf.message!.includes('\u001b'));
    const dl = jobState(job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }]), []);
    assert.deepEqual([dl.reason, dl.exitCode], ['DeadlineExceeded', 124]);
    const pull = jobState(job(), [pod({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' } })]);
    assert.deepEqual([pull.reason, pull.exitCode, pull.phase], ['ImagePullFailed', 125, 'pending']);
    assert.equal(jobState(job(), [{ ...pod({ running: {} }), status: { phase: 'Running', containerStatuses: [{ name: 'job', state: { running: {} } }] } }]).phase, 'running');
  });
});
