// A port-forward the API server refuses with 403: on a team cluster that means the sandbox is not
// the caller's (the controller grants port-forward per sandbox, to its holder), so the hint names
// the claim and doctor, as translate.ts does for exec, never a base Role to ask for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainPortForwardFailure } from '../../src/core/tunnel/diagnose';

test('a 403 on the port-forward says the sandbox is not yours and that access comes with a claim', async () => {
  let read = 0;
  const err = await explainPortForwardFailure(
    { kind: 'rejected', status: 403, message: 'pods "team-0" is forbidden: User "bob" cannot create resource "pods/portforward"' },
    { namespace: 'devenv', pod: 'team-0', port: 2222 },
    async () => { read++; return undefined; },
    { context: 'kind-team' },
  );
  assert.equal(err.code, 'Forbidden');
  assert.match(err.message, /^Not allowed to port-forward to sandbox devenv\/team-0 \(context kind-team\): it is not claimed by you/);
  assert.match(err.message, /User "bob" cannot create resource/, 'the server\'s own words stay');
  assert.match(err.hint ?? '', /terrarium sandbox claim ENV/);
  assert.match(err.hint ?? '', /terrarium doctor/);
  assert.doesNotMatch(err.hint ?? '', /Role granting|RBAC manifest/, 'no base Role grants port-forward any more');
  assert.equal(read, 0, 'a refusal is explained without reading the pod');
});

test('a 401 still asks to log in again', async () => {
  const err = await explainPortForwardFailure({ kind: 'rejected', status: 401, message: 'Unauthorized' },
    { namespace: 'devenv', pod: 'team-0', port: 2222 }, async () => undefined);
  assert.equal(err.code, 'Unauthorized');
});
