// The first cluster rows read kubeconfigs without a YAML library (kubeconfigText.ts, to keep
// dist/extension.js small). Whatever it answers must be what a real YAML parser reads; what it is
// not sure about it must say so (undefined), so the tree waits for the full discovery instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from 'js-yaml';
import { readKubeconfigText, type KubeconfigText } from '../../src/extension/tree/kubeconfigText';

/** The same three things, read by js-yaml (what quickContexts did before). */
function reference(text: string): KubeconfigText {
  const doc = (load(text) ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const list = (v: unknown) => (Array.isArray(v) ? v : []).map((x) => (x && typeof x === 'object' ? x as Record<string, Record<string, unknown> | undefined> : {}));
  return {
    current: doc['current-context'] === undefined ? undefined : str(doc['current-context']),
    contexts: list(doc.contexts).map((c) => ({ name: str(c.name), cluster: str(c.context?.cluster) })),
    clusters: list(doc.clusters).map((c) => ({ name: str(c.name), server: str(c.cluster?.server) })),
  };
}

// What kubectl writes (kubectl config view --raw), with users and extensions the reader skips unread.
const KUBECTL = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: cluster_info
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1:443
  name: arn:aws:eks:us-east-1:123456789012:cluster/prod
contexts:
- context:
    cluster: kind-kind
    namespace: team-a
    user: kind-kind
  name: kind-kind
- context:
    cluster: arn:aws:eks:us-east-1:123456789012:cluster/prod
    user: arn:aws:eks:us-east-1:123456789012:cluster/prod
  name: arn:aws:eks:us-east-1:123456789012:cluster/prod
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: LS0tLS1CRUdJTi
    client-key-data: LS0tLS1CRUdJTi
- name: arn:aws:eks:us-east-1:123456789012:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - us-east-1
      - eks
      - get-token
      command: aws
      env:
      - name: AWS_PROFILE
        value: "prod"
      interactiveMode: IfAvailable
      provideClusterInfo: false
    token: |
      a block scalar
      - that looks like: yaml
`;

const SURE: Record<string, string> = {
  'kubectl --raw': KUBECTL,
  'indented sequences, quotes, comments': `# written by hand
---
apiVersion: v1
kind: Config
current-context: "dev" # the one I use
contexts:
  - name: 'dev'
    context: # inline comment
      cluster: "c-1"
      user: me

  - name: it''s
    context:
      cluster: c-2
  -   name: wide
      context: {}
clusters:
  - name: c-1
    cluster:
      server: "https://dev.example:6443"
  - cluster:
      server: https://two.example # a comment
    name: c-2
users: []
`,
  'CRLF line ends': 'current-context: a\r\ncontexts:\r\n- name: a\r\n  context:\r\n    cluster: ca\r\nclusters:\r\n- name: ca\r\n  cluster:\r\n    server: https://a\r\n',
  'no current context, null sections': 'apiVersion: v1\ncontexts:\nclusters: ~\nusers:\n',
  'empty lists': 'contexts: []\nclusters: []\ncurrent-context: ""\n',
  'empty file': '',
  'only comments': '# nothing here\n',
  'JSON': JSON.stringify({ 'current-context': 'j', contexts: [{ name: 'j', context: { cluster: 'cj' } }], clusters: [{ name: 'cj', cluster: { server: 'https://j' } }] }),
  'a nameless entry and a context without cluster': 'contexts:\n- context:\n    cluster: x\n- name: y\n',
  'escapes in double quotes': 'current-context: "a\\"b\\\\c"\ncontexts:\n- name: "a\\"b\\\\c"\n',
  'a long exec users section with a block scalar at column 0 of its content': `${KUBECTL}extensions:\n- name: x\n  extension:\n    data: >\n      folded\n`,
};

const NOT_SURE: Record<string, string> = {
  'an unclosed flow sequence': 'contexts: [unclosed',
  'a flow sequence': 'contexts: [{name: a, context: {cluster: b}}]\n',
  'an anchor': 'clusters:\n- name: a\n  cluster: &c\n    server: https://a\ncontexts:\n- name: a\n  context:\n    cluster: a\n',
  'an alias': 'contexts:\n- name: a\n  context:\n    cluster: *c\n',
  'a tag': 'current-context: !!str a\n',
  'a block scalar': 'clusters:\n- name: a\n  cluster:\n    server: |\n      https://a\n',
  'a multi-line plain scalar': 'contexts:\n- name: a very\n    long name\n',
  'a multi-line quoted scalar': 'current-context: "a\n  b"\n',
  'a second document': 'current-context: a\n---\ncurrent-context: b\n',
  'a tab in the indentation': 'contexts:\n-\tname: a\n',
  'a duplicate key': 'contexts:\n- name: a\n  name: b\n',
  'a key kubeconfigs do not have': 'current-context: a\nfoo: bar\n',
  'a number for a name': 'contexts:\n- name: 123\n  context:\n    cluster: x\n',
  'a bool for a name': 'current-context: true\n',
  'a date for a name': 'contexts:\n- name: 2024-01-01\n',
  'a merge key': 'contexts:\n- <<: {}\n  name: a\n',
  'a mapping where a list belongs': 'contexts:\n  a: b\n',
  'a YAML escape JSON lacks': 'current-context: "\\x41"\n',
  'a directive': '%YAML 1.2\n---\ncurrent-context: a\n',
  'bad indentation': 'contexts:\n- name: a\n context:\n    cluster: x\n',
};

for (const [name, text] of Object.entries(SURE)) {
  test(`reads what js-yaml reads: ${name}`, () => {
    const got = readKubeconfigText(text);
    assert.ok(got, 'sure about it');
    assert.deepEqual(got, reference(text));
  });
}

for (const [name, text] of Object.entries(NOT_SURE)) {
  test(`not sure, so the full discovery decides: ${name}`, () => {
    assert.equal(readKubeconfigText(text), undefined);
  });
}

test('the kubectl file: names with colons, the current context, servers', () => {
  const r = readKubeconfigText(KUBECTL)!;
  assert.equal(r.current, 'kind-kind');
  assert.deepEqual(r.contexts.map((c) => c.name), ['kind-kind', 'arn:aws:eks:us-east-1:123456789012:cluster/prod']);
  assert.deepEqual(r.clusters.map((c) => c.server), ['https://127.0.0.1:6443', 'https://10.0.0.1:443']);
});
