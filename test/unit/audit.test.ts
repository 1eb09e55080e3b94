// The audit module: records, the sinks (file 0600 + rotation, stream, memory), redaction, the
// identity lookup (SelfSubjectReview, else the kubeconfig user), and audited()/auditEvent().
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  audited, auditEvent, defaultAuditLogPath, fileAuditor, formatAuditLine, installAuditor, makeRecord, memoryAuditor,
  settleAudits, sshKeyFingerprint, streamAuditor, whoAmI, type AuditRecord, type IdentityKubeConfig,
} from '../../src/core/audit';
import { TerrariumError } from '../../src/core/kube/errors';
import { takeAuditFlag } from '../../src/cli/audit';

const SECRET = 'sk-ant-api03-Zx9canaryKEYdoNotLeak0123456789';
const posix = process.platform !== 'win32';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'terrarium-audit-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const scope = { context: 'kind', namespace: 'devenv' };
const sample = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  ...makeRecord(scope, { action: 'scale', target: 'web', detail: { to: 3 } }, 'ok', { user: 'alice', source: 'api-server' }, undefined, new Date('2026-01-01T00:00:00Z')),
  ...over,
});

describe('audit records', () => {
  test('one JSON object per action: time, who, action, context, namespace, target, detail, result', () => {
    assert.equal(formatAuditLine(sample()),
      '{"time":"2026-01-01T00:00:00.000Z","who":{"user":"alice","source":"api-server"},"action":"scale","context":"kind",'
      + '"namespace":"devenv","target":"web","detail":{"to":3},"result":"ok"}');
  });

  test('a failure carries the error code and message; a cancellation says cancelled', async () => {
    const m = memoryAuditor();
    const restore = installAuditor(m);
    try {
      await assert.rejects(audited(scope, { action: 'delete', target: 'web' },
        async () => { throw new TerrariumError('NotFound', 'There is no environment "web".', 'Check the name.'); }));
      await assert.rejects(audited(scope, { action: 'scale', target: 'web' }, async () => { throw new TerrariumError('Cancelled', 'Cancelled.'); }));
      await assert.rejects(audited(scope, { action: 'claim', target: 'web' }, async () => { throw new Error('boom'); }));
      assert.deepEqual(m.records.map((r) => [r.action, r.result, r.error?.code, r.error?.message]), [
        ['delete', 'failed', 'NotFound', 'There is no environment "web".'],
        ['scale', 'cancelled', 'Cancelled', 'Cancelled.'],
        ['claim', 'failed', 'Error', 'boom'],
      ]);
      assert.equal(await audited(scope, { action: 'claim', target: 'web' }, async () => ({ sandbox: 'web-1' }), (r) => ({ target: r.sandbox })).then((r) => r.sandbox), 'web-1');
      assert.deepEqual(m.records.at(-1)!.target, 'web-1', 'refine() names what the operation picked');
      assert.equal(m.records.at(-1)!.error, undefined);
    } finally {
      restore();
    }
  });

  test('details and error texts are redacted before any sink sees them (API keys in agent commands)', async () => {
    const m = memoryAuditor();
    const restore = installAuditor(m);
    try {
      await audited(scope, { action: 'tmux-send', target: 'web-0', detail: { text: `ANTHROPIC_API_KEY=${SECRET} claude` } }, async () => undefined);
      await assert.rejects(audited(scope, { action: 'tmux-new', target: 'web-0', detail: { command: `aider --openai-api-key ${SECRET}` } },
        async () => { throw new TerrariumError('Unknown', `tmux failed: ANTHROPIC_API_KEY=${SECRET}`); }));
    } finally {
      restore();
    }
    const text = JSON.stringify(m.records);
    assert.ok(!text.includes(SECRET), text);
    assert.match(String(m.records[0]!.detail!.text), /^ANTHROPIC_API_KEY=.*redacted.* claude$/);
    // The file sink redacts the whole line once more, for records built by hand.
    const path = join(dir, 'a', 'audit.log');
    fileAuditor(path).record(sample({ detail: { text: `ANTHROPIC_API_KEY=${SECRET}` } }));
    assert.ok(!readFileSync(path, 'utf8').includes(SECRET));
  });

  test('without an installed auditor nothing is recorded and no identity is looked up', async () => {
    let asked = 0;
    const kc: IdentityKubeConfig = { getCurrentCluster: () => { asked++; return { server: 'http://127.0.0.1:9' }; }, applyToHTTPSOptions: async () => {} };
    const restore = installAuditor(undefined);
    try {
      assert.equal(await audited({ ...scope, kc }, { action: 'scale', target: 'web' }, async () => 7), 7);
      auditEvent({ ...scope, kc }, { action: 'attach', target: 'web-0' }, 'ok');
      await settleAudits();
      assert.equal(asked, 0);
    } finally {
      restore();
    }
  });

  test('key fingerprints are what ssh-keygen -l prints', () => {
    // ssh-keygen -lf on this key prints SHA256:... computed over the decoded blob.
    const blob = Buffer.from('0000000b7373682d6564323535313900000020' + '11'.repeat(32), 'hex').toString('base64');
    assert.match(sshKeyFingerprint(`ssh-ed25519 ${blob} me@host`)!, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('file sink', () => {
  test('creates its directory 0700 and the log 0600, one parseable line per record', { skip: posix ? false : 'POSIX modes' }, () => {
    const path = join(dir, 'state', 'terrarium', 'audit.log');
    const a = fileAuditor(path);
    a.record(sample());
    a.record(sample({ action: 'tmux-kill', target: 'web-0', result: 'failed', error: { code: 'NotFound', message: 'gone' } }));
    assert.equal(statSync(join(dir, 'state', 'terrarium')).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.action, l.target, l.result]), [['scale', 'web', 'ok'], ['tmux-kill', 'web-0', 'failed']]);
  });

  test('an existing log with a looser mode is made 0600', { skip: posix ? false : 'POSIX modes' }, () => {
    const path = join(dir, 'audit.log');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    fileAuditor(path).record(sample());
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('rotates at the size limit and keeps 3 older files', () => {
    const path = join(dir, 'audit.log');
    const t = (i: number) => `web-${String(i).padStart(2, '0')}`;
    const line = formatAuditLine(sample({ target: t(0) })).length + 1;
    const a = fileAuditor(path, { maxBytes: line * 4, keep: 3 });
    for (let i = 0; i < 4 * 6; i++) a.record(sample({ target: t(i) }));
    assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    const targets = (f: string) => readFileSync(join(dir, f), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).target);
    assert.deepEqual(targets('audit.log'), [20, 21, 22, 23].map(t));
    assert.deepEqual(targets('audit.log.1'), [16, 17, 18, 19].map(t));
    assert.deepEqual(targets('audit.log.3'), [8, 9, 10, 11].map(t), 'older files are dropped');
    for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= line * 4, f);
  });

  test('a log that cannot be written is reported once, and the caller goes on', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const errors: string[] = [];
    const a = fileAuditor(join(blocker, 'audit.log'), { onError: (m) => errors.push(m) });
    a.record(sample());
    a.record(sample());
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /could not write the audit log/);
  });

  test('the path: TERRARIUM_AUDIT_LOG, else $XDG_STATE_HOME/terrarium, else ~/.local/state/terrarium', () => {
    assert.equal(defaultAuditLogPath({ TERRARIUM_AUDIT_LOG: '/x/a.log', XDG_STATE_HOME: '/s' }, '/home/u'), '/x/a.log');
    assert.equal(defaultAuditLogPath({ XDG_STATE_HOME: '/s' }, '/home/u'), join('/s', 'terrarium', 'audit.log'));
    assert.equal(defaultAuditLogPath({ XDG_STATE_HOME: 'relative' }, '/home/u'), join('/home/u', '.local', 'state', 'terrarium', 'audit.log'));
    assert.equal(defaultAuditLogPath({}, '/home/u'), join('/home/u', '.local', 'state', 'terrarium', 'audit.log'));
  });
});

describe('stream sink and the --audit flag', () => {
  test('stderr gets "audit {json}" lines; C1 controls from a cluster are escaped', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => { text += d.toString('utf8'); });
    streamAuditor(out).record(sample({ detail: { previousUser: 'mallory\u009b31m\u001b]52;c;x\u0007' } }));
    assert.match(text, /^audit \{.*\}\n$/);
    assert.ok(![...text.slice(0, -1)].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f)), JSON.stringify(text));
    assert.equal(JSON.parse(text.slice('audit '.length)).detail.previousUser, 'mallory\u009b31m\u001b]52;c;x\u0007');
  });

  test('--audit is taken out of argv, but not from after "--"', () => {
    assert.deepEqual(takeAuditFlag(['--audit', 'env', 'scale', 'web', '2']), { argv: ['env', 'scale', 'web', '2'], toStderr: true });
    assert.deepEqual(takeAuditFlag(['tmux', 'new', 'w-0', 'a', '--', 'tool', '--audit']), { argv: ['tmux', 'new', 'w-0', 'a', '--', 'tool', '--audit'], toStderr: false });
  });
});

describe('who: the API server\'s answer, else the kubeconfig user', () => {
  let server: Server;
  let port: number;
  let reviews: IncomingMessage[];
  let answer: { status: number; body: unknown };

  beforeEach(async () => {
    reviews = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d; });
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/apis/authentication.k8s.io/v1/selfsubjectreviews' && JSON.parse(body).kind === 'SelfSubjectReview') {
          reviews.push(req);
          res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
        } else {
          res.writeHead(404).end('{}');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const kc = (user = 'ctx-admin'): IdentityKubeConfig => ({
    getCurrentCluster: () => ({ server: `http://127.0.0.1:${port}` }),
    getCurrentUser: () => ({ name: user }),
    applyToHTTPSOptions: async (o: { headers?: Record<string, string> }) => { o.headers = { ...o.headers, Authorization: 'Bearer t0ken' }; },
  });

  test('a SelfSubjectReview names the user, asked once per kubeconfig and sent with its credentials', async () => {
    answer = { status: 201, body: { kind: 'SelfSubjectReview', status: { userInfo: { username: 'alice@example.com', groups: ['devs'] } } } };
    const k = kc();
    const m = memoryAuditor();
    const restore = installAuditor(m);
    try {
      await audited({ ...scope, kc: k }, { action: 'scale', target: 'web' }, async () => undefined);
      await audited({ ...scope, kc: k }, { action: 'delete', target: 'web' }, async () => undefined);
    } finally {
      restore();
    }
    assert.deepEqual(m.records.map((r) => r.who), [{ user: 'alice@example.com', source: 'api-server' }, { user: 'alice@example.com', source: 'api-server' }]);
    assert.equal(reviews.length, 1, 'cached per kubeconfig');
    assert.equal(reviews[0]!.headers.authorization, 'Bearer t0ken');
  });

  test('a server without the API (404) or refusing it: the kubeconfig user, labelled as such', async () => {
    answer = { status: 403, body: { kind: 'Status' } };
    assert.deepEqual(await whoAmI(kc('dev-user')), { user: 'dev-user', source: 'kubeconfig' });
    const gone: IdentityKubeConfig = { ...kc('other'), getCurrentCluster: () => ({ server: 'http://127.0.0.1:1' }) };
    assert.deepEqual(await whoAmI(gone), { user: 'other', source: 'kubeconfig' });
  });

  test('a stream event (port-forward, attach) is written once who is known; settleAudits waits for it', async () => {
    answer = { status: 201, body: { status: { userInfo: { username: 'bob' } } } };
    const m = memoryAuditor();
    const restore = installAuditor(m);
    try {
      auditEvent({ ...scope, kc: kc() }, { action: 'port-forward', target: 'web-0', detail: { port: 2222 } }, 'ok');
      await settleAudits();
    } finally {
      restore();
    }
    assert.deepEqual(m.records.map((r) => [r.action, r.target, r.who?.user, r.result]), [['port-forward', 'web-0', 'bob', 'ok']]);
  });
});
