// kube-sim's exec probes run through a small helper process (no fork of kube-sim per probe) and
// report as a direct spawn did: exit code, output (stdout and stderr), a timeout, a missing command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { createProber } from '../kube-sim/index';

test('the probe helper reports exit codes, output, timeouts (group killed) and missing commands', async () => {
  const prober = createProber();
  try {
    const base = { cwd: tmpdir(), env: { PATH: '/usr/bin:/bin' }, timeoutMs: 5000 };
    assert.deepEqual(await prober.run({ ...base, argv: ['sh', '-c', 'echo out; echo err >&2; exit 0'] }), { code: 0, out: 'out\nerr\n' });
    assert.deepEqual(await prober.run({ ...base, argv: ['sh', '-c', 'exit 3'] }), { code: 3, out: '' });
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => prober.run({ ...base, argv: ['sh', '-c', `echo ${i}`] })));
    assert.deepEqual(many, Array.from({ length: 20 }, (_, i) => ({ code: 0, out: `${i}\n` })), 'answers go to their own requests');
    const t0 = Date.now();
    assert.deepEqual(await prober.run({ ...base, argv: ['sh', '-c', 'sleep 30 & sleep 30'], timeoutMs: 300 }), { timedOut: true });
    assert.ok(Date.now() - t0 < 5000, 'a timed-out probe does not wait for its children');
    const missing = await prober.run({ ...base, argv: ['/nonexistent/terrarium-ready'] });
    assert.ok('error' in missing && /No such file/.test(missing.error), JSON.stringify(missing));
  } finally {
    prober.close();
  }
});
