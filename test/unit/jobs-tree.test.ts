// Job rows in the Clusters tree (src/extension/tree/jobNodes.ts): running, succeeded, failed with
// the reason; whose Job it is; cluster text escaped; the list read once per few seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetJobRows, jobNode, jobRows, jobsGroupRow } from '../../src/extension/tree/jobNodes';
import type { JobState } from '../../src/core/jobs/state';

const s = (x: Partial<JobState>): JobState => ({ name: 'job-a', phase: 'running', mode: 'run', createdBy: 'alice', image: 'busybox', pod: 'job-a-xxxxx', ...x });

test('each state has its description, icon and menu tags', () => {
  assert.equal(jobNode('p', s({}), 'alice').description, 'running');
  assert.equal(jobNode('p', s({ mode: 'start' }), 'alice').description, 'running (waiting for exec)');
  assert.equal(jobNode('p', s({ phase: 'succeeded', reason: 'Completed' }), 'alice').description, 'succeeded');
  assert.equal(jobNode('p', s({ phase: 'failed', reason: 'Error', exitCode: 3 }), 'alice').description, 'failed: Error (exit 3)');
  const oom = jobNode('p', s({ phase: 'failed', reason: 'OOMKilled', exitCode: 137, message: 'killed', hint: 'Give it more with --memory' }), 'alice');
  assert.equal(oom.description, 'failed: OOMKilled');
  assert.equal(oom.icon.id, 'error');
  assert.match(oom.tooltip!, /\\-\\-memory/);
  assert.equal(jobNode('p', s({ phase: 'failed', reason: 'DeadlineExceeded' }), 'alice').description, 'failed: DeadlineExceeded');
  assert.equal(jobNode('p', s({ phase: 'pending', reason: 'ImagePullFailed' }), 'alice').icon.color, 'charts.red');
  assert.equal(jobNode('p', s({}), 'alice').contextValue, 'terrarium:job;running;has-pod;mine;');
  assert.equal(jobNode('p', s({}), 'bob').description, 'running · alice');
});

test('cluster text in a row is escaped: no Markdown links, no control characters', () => {
  const v = jobNode('p', s({ phase: 'failed', reason: 'Bad\u001b[31m', message: '[click](http://evil) <img>', createdBy: 'eve\u0007' }), 'me');
  assert.ok(!v.description!.includes('\u001b') && !v.description!.includes('\u0007'));
  assert.ok(!v.tooltip!.includes('[click](') && !v.tooltip!.includes('<img>'));
});

test('rows: one list per few seconds, a hint when there are none, and a repaint while Jobs change', async () => {
  forgetJobRows();
  const parent = jobsGroupRow('ctx', 'ns') as Extract<ReturnType<typeof jobsGroupRow>, { kind: 'jobs' }>;
  let calls = 0, refreshed = 0;
  const src = { list: async () => { calls++; return [s({})]; }, me: 'alice', refresh: () => { refreshed++; } };
  const rows = await jobRows(parent, src, 1000);
  assert.deepEqual(rows.map((r) => r.view.label), ['job-a']);
  await jobRows(parent, src, 2000);
  assert.equal(calls, 1);
  await jobRows(parent, src, 4000);
  assert.equal(calls, 2);
  forgetJobRows();
  const none = await jobRows(parent, { list: async () => [], refresh: () => {} }, 0);
  assert.match(none[0]!.view.label, /No Job sandboxes/);
  assert.equal(refreshed, 0, 'the repaint comes later, not at once');
});
