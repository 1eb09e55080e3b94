// The warm pool's decision as a pure function: given the environment's ordinals (claimed? ready?),
// its replicas and settings, and the time, what replica count to set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideWarmPool, type PoolSandbox, type WarmPoolInput } from '../../src/core/controller/warmPool';
import { readPolicy, parseDuration, formatDuration, policyAnnotations } from '../../src/core/devenv/policy';
import { environmentFromObjects } from '../../src/core/devenv/model';

const MIN = 60_000;
/** "CRc.": claimed+ready, ready, claimed not ready, starting (one letter per ordinal). */
function pool(spec: string): PoolSandbox[] {
  return [...spec].map((c, ordinal) => ({ ordinal, claimed: c === 'C' || c === 'c', ready: c === 'C' || c === 'R' }));
}
const base = (o: Partial<WarmPoolInput>): WarmPoolInput => ({ replicas: 0, sandboxes: [], warmSpares: 2, maxReplicas: 20, trimAfterMs: 10 * MIN, now: 1_000_000, ...o });

describe('warm pool: scaling up', () => {
  test('claims that ate spares are replaced: 3 sandboxes, 2 claimed, 2 spares wanted -> 4', () => {
    const d = decideWarmPool(base({ replicas: 3, sandboxes: pool('CCR') }));
    assert.equal(d.scaleTo, 4);
  });

  test('starting spares count (no pod after pod while they start), and so do ones not ready', () => {
    assert.equal(decideWarmPool(base({ replicas: 4, sandboxes: pool('CC..') })).scaleTo, undefined);
  });

  test('never beyond the maximum', () => {
    const d = decideWarmPool(base({ replicas: 3, sandboxes: pool('CCC'), maxReplicas: 4 }));
    assert.equal(d.scaleTo, 4);
    assert.match(d.reason, /maximum of 4/);
    const at = decideWarmPool(base({ replicas: 4, sandboxes: pool('CCCC'), maxReplicas: 4 }));
    assert.equal(at.scaleTo, undefined);
    assert.match(at.reason, /already at the maximum/);
  });

  test('a stopped ordinal that still holds a claimed workspace comes back claimed, not as a spare', () => {
    // replicas 2 (both claimed); ordinal 2 is a stopped sandbox whose workspace is claimed.
    const d = decideWarmPool(base({ replicas: 2, sandboxes: pool('CCc') }));
    assert.equal(d.scaleTo, 5, 'ordinal 2 returns claimed, so 3 and 4 are the two spares');
  });

  test('a stopped environment is left alone', () => {
    assert.equal(decideWarmPool(base({ replicas: 0, sandboxes: pool('cc') })).scaleTo, undefined);
  });
});

describe('warm pool: trimming', () => {
  const now = 100 * MIN;
  test('extra spares are trimmed from the tail only after they stayed unused for the trim delay', () => {
    const first = decideWarmPool(base({ replicas: 5, sandboxes: pool('CRRRR'), now }));
    assert.equal(first.scaleTo, undefined);
    assert.equal(first.excessSince, now, 'the excess is remembered from now');
    const early = decideWarmPool(base({ replicas: 5, sandboxes: pool('CRRRR'), now: now + 9 * MIN, excessSince: now }));
    assert.equal(early.scaleTo, undefined);
    const late = decideWarmPool(base({ replicas: 5, sandboxes: pool('CRRRR'), now: now + 10 * MIN, excessSince: now }));
    assert.equal(late.scaleTo, 3, 'two spares kept (1 and 2), the tail ordinals 3 and 4 go');
    assert.equal(late.excessSince, undefined);
  });

  test('a claimed tail sandbox is never trimmed, even with spares below it', () => {
    const d = decideWarmPool(base({ replicas: 5, sandboxes: pool('RRRRC'), now, excessSince: now - 60 * MIN }));
    assert.equal(d.scaleTo, undefined);
    assert.match(d.reason, /tail sandbox 4 is claimed/);
  });

  test('trimming stops at the first claimed sandbox from the tail', () => {
    const d = decideWarmPool(base({ replicas: 6, warmSpares: 1, sandboxes: pool('RRRCRR'), now, excessSince: now - 60 * MIN }));
    assert.equal(d.scaleTo, 4, 'ordinals 5 and 4 go; 3 is claimed, so 0-2 stay although only one spare is wanted');
  });

  test('the pool never trims to 0: stopping is idle-stop\'s call', () => {
    const d = decideWarmPool(base({ replicas: 2, warmSpares: 0, sandboxes: pool('RR'), now, excessSince: now - 60 * MIN }));
    assert.equal(d.scaleTo, 1);
  });

  test('when the excess goes away the remembered time is forgotten', () => {
    const d = decideWarmPool(base({ replicas: 3, sandboxes: pool('CRR'), now, excessSince: now - 60 * MIN }));
    assert.equal(d.scaleTo, undefined);
    assert.equal(d.excessSince, undefined);
  });
});

describe('environment settings (annotations)', () => {
  test('durations read and print back', () => {
    assert.equal(parseDuration('30m'), 30 * MIN);
    assert.equal(parseDuration('1h30m'), 90 * MIN);
    assert.equal(parseDuration('8h'), 8 * 60 * MIN);
    for (const bad of ['', '30', 'm', '1.5h', '-1h', '30 m', '1w']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(formatDuration(90 * MIN), '1h30m');
  });

  test('readPolicy: absent is off, bad values are problems and count as absent', () => {
    const off = readPolicy({});
    assert.deepEqual([off.warmSpares, off.claimTtlMs, off.idleStopAfterMs, off.maxReplicas, off.warmTrimAfterMs], [undefined, undefined, undefined, 20, 10 * MIN]);
    const p = readPolicy({ 'terrarium.dev/warm-spares': '2', 'terrarium.dev/claim-ttl': '30m', 'terrarium.dev/idle-stop-after': 'soon', 'terrarium.dev/max-replicas': '5' });
    assert.equal(p.warmSpares, 2);
    assert.equal(p.claimTtlMs, 30 * MIN);
    assert.equal(p.idleStopAfterMs, undefined);
    assert.equal(p.maxReplicas, 5);
    assert.equal(p.problems.length, 1);
    assert.match(p.problems[0]!, /idle-stop-after/);
    assert.equal(readPolicy({ 'terrarium.dev/claim-ttl': '10s' }).claimTtlMs, undefined, 'under a minute is refused');
  });

  test('policyAnnotations validates what a person types', () => {
    assert.deepEqual(policyAnnotations({ warmSpares: 2, claimTtl: '90m', idleStopAfter: '8h' }),
      { 'terrarium.dev/warm-spares': '2', 'terrarium.dev/claim-ttl': '1h30m', 'terrarium.dev/idle-stop-after': '8h' });
    assert.throws(() => policyAnnotations({ warmSpares: -1 }), /warm spares/);
    assert.throws(() => policyAnnotations({ warmSpares: 21 }), /from 0 to 20/);
    assert.throws(() => policyAnnotations({ claimTtl: '5' }), /claim TTL/);
  });

  test('the Environment model carries the settings', () => {
    const env = environmentFromObjects({
      metadata: { name: 'web', namespace: 'ns', annotations: { 'terrarium.dev/warm-spares': '3', 'terrarium.dev/claim-ttl': '120m', 'terrarium.dev/idle-stop-after': 'x' } },
      spec: { replicas: 2, selector: {}, serviceName: 'web', template: {} },
    }, []);
    assert.equal(env.warmSpares, 3);
    assert.equal(env.claimTtl, '2h');
    assert.equal(env.idleStopAfter, undefined);
    assert.equal(env.maxReplicas, 20);
    assert.match(env.settingProblems?.[0] ?? '', /idle-stop-after/);
  });
});
