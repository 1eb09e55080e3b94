// The cluster rows the view shows at once, from the kubeconfig files alone (no core bundle, no request).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delimiter } from 'node:path';
import { quickContexts } from '../../src/extension/tree/quickContexts';

const files: Record<string, string> = {
  '/h/.kube/config': [
    'apiVersion: v1', 'kind: Config', 'current-context: prod',
    'clusters:', '- name: c1', '  cluster:', '    server: https://prod.example:6443',
    'contexts:', '- name: prod', '  context:', '    cluster: c1', '    user: u', '- name: dev', '  context:', '    cluster: c2', '    user: u',
    'users:', '- name: u', '  user:', '    token: t',
  ].join('\n'),
  '/k/a.yaml': 'contexts:\n- name: a\n  context:\n    cluster: ca\nclusters:\n- name: ca\n  cluster:\n    server: https://a\n',
  '/k/b.yaml': 'current-context: b\ncontexts:\n- name: b\n  context:\n    cluster: cb\n- name: a\n  context:\n    cluster: other\n',
  '/k/broken.yaml': 'contexts: [unclosed',
};
const readFile = (f: string) => { if (!(f in files)) throw new Error(`ENOENT ${f}`); return files[f]!; };

test('~/.kube/config: its contexts with servers, its current context', () => {
  assert.deepEqual(quickContexts({ home: '/h', env: {}, readFile }), {
    contexts: [{ name: 'prod', server: 'https://prod.example:6443' }, { name: 'dev', server: undefined }], current: 'prod',
  });
});

test('KUBECONFIG merges: the first file naming a context or current-context wins', () => {
  const r = quickContexts({ home: '/h', env: { KUBECONFIG: ['/k/a.yaml', '/k/missing.yaml', '/k/b.yaml'].join(delimiter) }, readFile });
  assert.deepEqual(r, { contexts: [{ name: 'a', server: 'https://a' }, { name: 'b', server: undefined }], current: 'b' });
  // A file the quick reader is not sure about could name the current context: the full discovery decides.
  assert.equal(quickContexts({ home: '/h', env: { KUBECONFIG: ['/k/a.yaml', '/k/broken.yaml', '/k/b.yaml'].join(delimiter) }, readFile }), undefined);
});

test('the setting and a picked context win; anything unclear waits for the full discovery', () => {
  assert.equal(quickContexts({ home: '/h', env: { KUBECONFIG: '/k/b.yaml' }, explicitPath: '/h/.kube/config', readFile })?.current, 'prod');
  assert.equal(quickContexts({ home: '/h', env: {}, picked: 'dev', readFile })?.current, 'dev');
  assert.equal(quickContexts({ home: '/h', env: {}, picked: 'gone', readFile }), undefined, 'a picked context the file lacks');
  assert.equal(quickContexts({ home: '/nobody', env: {}, readFile }), undefined, 'no kubeconfig');
  assert.equal(quickContexts({ home: '/h', env: { KUBECONFIG: '/k/a.yaml' }, readFile }), undefined, 'no current context');
  assert.equal(quickContexts({ home: '/h', env: { KUBECONFIG: '/k/broken.yaml' }, readFile }), undefined);
});
