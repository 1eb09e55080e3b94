// The controller's shipped YAML is exactly what its render functions produce (one source of truth),
// and the Deployment follows Pod Security "restricted".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import {
  controllerImageFor, renderControllerDeployment, renderControllerServiceAccount,
} from '../../src/core/controller/manifests';

const dir = join(__dirname, '..', '..', 'manifests', 'controller');
const load = (f: string) => loadAllYaml(readFileSync(join(dir, f), 'utf8')).map((o) => JSON.parse(JSON.stringify(o)));
const version = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

test('manifests/controller/*.yaml are the rendered objects for namespace devenv', () => {
  assert.deepEqual(load('deployment.yaml'), [renderControllerServiceAccount('devenv'),
    renderControllerDeployment({ namespace: 'devenv', image: controllerImageFor(version) })]);
});

test('the controller Deployment runs restricted, non-root, read-only, 2 replicas, in-cluster', () => {
  const d = renderControllerDeployment({ namespace: 'x', image: 'img:1' });
  const pod = d.spec.template.spec;
  const c = pod.containers[0]!;
  assert.equal(d.spec.replicas, 2);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.deepEqual(c.args.slice(0, 2), ['controller', '--in-cluster']);
  assert.ok(!/:latest$/.test(controllerImageFor(version)));
});

test('the image: node slim with the CLI bundle, non-root', () => {
  const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:\d+-bookworm-slim$/m);
  assert.match(dockerfile, /^USER 1000:1000$/m);
  assert.match(dockerfile, /COPY dist\/cli\.js/);
});
