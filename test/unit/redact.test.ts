import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../src/core/redact';

const CANARY = 'c4n4ry-s3cr3t-value-91f2';

test('bearer tokens, Authorization headers and token fields are redacted', () => {
  for (const line of [
    `GET /api/v1/pods Authorization: Bearer ${CANARY}`,
    `{"headers":{"authorization":"Bearer ${CANARY}"}}`,
    `token: ${CANARY}`,
    `{"token":"${CANARY}"}`,
    `client-key-data: ${CANARY}`,
    `password=${CANARY}`,
  ]) {
    const out = redact(line);
    assert.ok(!out.includes(CANARY), `${line} -> ${out}`);
    assert.match(out, /\[redacted\]/);
  }
});

test('private keys and Secret data are redacted, the rest stays readable', () => {
  const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${CANARY}\n-----END OPENSSH PRIVATE KEY-----`;
  assert.ok(!redact(`wrote ${key} to disk`).includes(CANARY));
  const secret = `{"kind":"Secret","metadata":{"name":"db"},"data":{"password":"${Buffer.from(CANARY).toString('base64')}"}}`;
  const out = redact(secret);
  assert.ok(!out.includes(Buffer.from(CANARY).toString('base64')));
  assert.match(out, /"name":"db"/);
  assert.equal(redact('scaled dev to 3 replicas'), 'scaled dev to 3 replicas');
});

