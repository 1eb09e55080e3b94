import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, webviewHtml } from '../../src/extension/webviewHtml';
import { parsePanelIdentity, parseWebviewMessage } from '../../src/shared/protocol';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

function cspOf(html: string): Map<string, string[]> {
  const m = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  assert.ok(m, 'the page carries a CSP');
  const csp = m[1]!.replace(/&#39;|&apos;/g, "'");
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
}

test('the CSP allows nothing by default and scripts only by nonce, with no unsafe-* or remote origins', () => {
  const html = webviewHtml({ title: 'Secrets', cspSource: CSP_SOURCE, scriptUri: `${CSP_SOURCE}/dist/webview.js`, styleUris: [`${CSP_SOURCE}/dist/webview.css`], nonce: 'abc123' });
  const csp = cspOf(html);
  assert.deepEqual(csp.get('default-src'), ["'none'"]);
  assert.deepEqual(csp.get('script-src'), ["'nonce-abc123'"]);
  for (const d of ['style-src', 'font-src', 'img-src']) assert.deepEqual(csp.get(d), [CSP_SOURCE], d);
  assert.doesNotMatch(html, /unsafe-(inline|eval)/);
  assert.doesNotMatch([...csp.values()].flat().join(' '), /\bhttps?:\/\/(?!file\+\.vscode-resource)/, 'no remote origins');
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((s) => s[0]);
  assert.ok(scripts.length > 0);
  for (const s of scripts) assert.match(s, /nonce="abc123"/);
  assert.doesNotMatch(html, /<script\b[^>]*>[^<\s]/, 'no inline script bodies');
});

test('nonces are fresh and unguessable', () => {
  const a = createNonce(), b = createNonce();
  assert.notEqual(a, b);
  assert.ok(a.length >= 20);
  assert.match(contentSecurityPolicy(CSP_SOURCE, a), new RegExp(`'nonce-${a}'`));
});

test('a title from the cluster cannot break out of the page', () => {
  const html = webviewHtml({ title: '</title><script>alert(1)</script>', cspSource: CSP_SOURCE, scriptUri: 'x.js', nonce: 'n' });
  assert.doesNotMatch(html, /<script>alert/);
});

test('messages from the webview are validated field by field; forged ones are dropped', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', requestId: 7, secret: 'db-creds', key: 'password' }), { type: 'reveal', requestId: 7, secret: 'db-creds', key: 'password' });
  assert.deepEqual(parseWebviewMessage({ type: 'scale', replicas: 3 }), { type: 'scale', replicas: 3 });
  for (const bad of [
    null, 'ready', [], { type: 'nope' },
    { type: 'ready', extra: 1 },
    { type: 'reveal', requestId: 1, secret: '../etc', key: 'password' },
    { type: 'reveal', requestId: 1, secret: 'DB', key: 'password' },
    { type: 'reveal', requestId: 1.5, secret: 'db', key: 'password' },
    { type: 'reveal', requestId: 1, secret: 'db', key: 'pass word' },
    { type: 'resync', secret: 'db', kind: 'Secret' },
    { type: 'scale', replicas: -1 }, { type: 'scale', replicas: 2.5 }, { type: 'scale', replicas: '3' }, { type: 'scale', replicas: 1e9 },
  ]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('the codicon stylesheet carries the id vscode-elements looks up, and body data is escaped', () => {
  const html = webviewHtml({ title: 't', cspSource: CSP_SOURCE, scriptUri: 's.js', styleUris: [{ href: 'c.css', id: 'vscode-codicon-stylesheet' }], bodyData: { identity: '{"context":"a\\"><script>x</script>"}', 'Bad Key': 'x' } });
  assert.match(html, /<link rel="stylesheet" href="c.css" id="vscode-codicon-stylesheet">/);
  assert.match(html, /<body data-identity="\{&quot;context&quot;:&quot;a\\&quot;&gt;&lt;script&gt;x&lt;\/script&gt;&quot;\}">/);
  assert.equal((html.match(/<script/g) ?? []).length, 1, 'only the nonce script');
  assert.doesNotMatch(html, /Bad Key/);
});

test('resources and refresh messages are validated; identities from persisted state too', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'refresh' }), { type: 'refresh' });
  assert.deepEqual(parseWebviewMessage({ type: 'resources', cpu: { request: '500m', limit: '2' }, memory: { limit: '4Gi' } }),
    { type: 'resources', cpu: { request: '500m', limit: '2' }, memory: { limit: '4Gi' } });
  for (const bad of [
    { type: 'resources', cpu: { request: '500m; rm -rf' }, memory: {} },
    { type: 'resources', cpu: { request: '1', extra: 'x' }, memory: {} },
    { type: 'resources', cpu: {} },
    { type: 'resources', cpu: 'big', memory: {} },
    { type: 'refresh', now: true },
  ]) assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  assert.deepEqual(parsePanelIdentity({ context: 'kind-kind', namespace: 'devenv', environment: 'sample' }), { context: 'kind-kind', namespace: 'devenv', environment: 'sample' });
  assert.equal(parsePanelIdentity({ context: 'x', namespace: 'Dev Env', environment: 'sample' }), undefined);
  assert.equal(parsePanelIdentity({ context: '', namespace: 'devenv', environment: 'sample' }), undefined);
  assert.equal(parsePanelIdentity('sample'), undefined);
});
