/**
 * src/core/kube/api.ts stands in for client-node's generated API clients (which made up most of the
 * bundle). Each of its methods is checked against the generated method of the same name: both run
 * with one fake HTTP layer, and must send the same request (method, URL with query, Content-Type,
 * Accept, User-Agent, credentials) and fail the same way (ApiException: status, body, headers).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as gen from '@kubernetes/client-node';
import { KubeConfig, Observable, PatchStrategy, RequestContext, ResponseContext, setHeaderOptions, type ConfigurationOptions, type HttpLibrary } from '@kubernetes/client-node';
import * as thin from '../../src/core/kube/api';
import { requestOptions } from '../../src/core/kube/retry';

interface Sent { method: string; url: string; headers: Record<string, string>; body: unknown }

/** An HTTP layer that records the request and answers `status` with `text`. */
class Fake implements HttpLibrary {
  sent: Sent[] = [];
  constructor(private readonly status = 200, private readonly text = '{}', private readonly contentType = 'application/json') {}
  send(ctx: RequestContext): Observable<ResponseContext> {
    this.sent.push({ method: ctx.getHttpMethod(), url: ctx.getUrl(), headers: { ...ctx.getHeaders() }, body: ctx.getBody() });
    const text = this.text;
    return new Observable(Promise.resolve(new ResponseContext(this.status, { 'content-type': this.contentType, 'x-test': 'yes' },
      { text: async () => text, binary: async () => Buffer.from(text), stream: () => null } as never)));
  }
}

function kubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://api.example.invalid:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

/**
 * Every parameter any of these methods takes, to every method: each client must send exactly the
 * ones its method knows (path parameters in the path, the rest in the query) and ignore the others.
 */
function paramsFor(method: string): Record<string, unknown> {
  return {
    name: 'web-0', namespace: 'dev env', group: 'secrets.hashicorp.com', version: 'v1beta1', plural: 'vaultauths',
    pretty: 'true', labelSelector: 'app=x,tier in (a,b)', fieldSelector: 'type=Warning', limit: 500, _continue: 'tok/en',
    allowWatchBookmarks: false, resourceVersion: '12', resourceVersionMatch: 'NotOlderThan', sendInitialEvents: false, timeoutSeconds: 9, watch: false,
    dryRun: 'All', fieldManager: 'terrarium', fieldValidation: 'Strict', force: true,
    gracePeriodSeconds: 0, ignoreStoreReadErrorWithClusterBreakingPotential: false, orphanDependents: false, propagationPolicy: 'Background',
    container: 'main', follow: false, insecureSkipTLSVerifyBackend: false, limitBytes: 100, previous: false, sinceSeconds: 60, stream: 'All', tailLines: 1000, timestamps: true,
    body: method.startsWith('patch') ? { metadata: { labels: { a: 'b' } } }
      : method.startsWith('delete') ? { propagationPolicy: 'Foreground', gracePeriodSeconds: 5 } : { metadata: { name: 'web-0' } },
  };
}

/** A URL with its query sorted: the order of query parameters means nothing to the API server. */
function normalized(url: string): string {
  const u = new URL(url);
  u.searchParams.sort();
  return u.toString();
}

const CLASSES = ['CoreV1Api', 'AppsV1Api', 'NetworkingV1Api', 'RbacAuthorizationV1Api', 'AdmissionregistrationV1Api', 'CustomObjectsApi',
  'AuthorizationV1Api', 'StorageV1Api', 'CoordinationV1Api', 'VersionApi'] as const;

/** Every method api.ts defines, with its class. */
function methods(): { cls: (typeof CLASSES)[number]; method: string }[] {
  return CLASSES.flatMap((cls) => Object.getOwnPropertyNames((thin[cls] as { prototype: object }).prototype)
    .filter((m) => m !== 'constructor').map((method) => ({ cls, method })));
}

type AnyApi = Record<string, (param: Record<string, unknown>, options?: ConfigurationOptions) => Promise<unknown>>;
const clients = (kc: KubeConfig, cls: (typeof CLASSES)[number]) => ({
  generated: kc.makeApiClient(gen[cls] as never) as unknown as AnyApi,
  ours: kc.makeApiClient(thin[cls] as never) as unknown as AnyApi,
});

describe('kube api.ts: the same requests as client-node\'s generated clients', () => {
  test('covers what Terrarium calls: more than 80 methods across 10 clients', () => {
    assert.ok(methods().length > 80, `${methods().length} methods`);
  });

  for (const { cls, method } of methods()) {
    test(`${cls}.${method}`, async () => {
      const kc = kubeconfig();
      const { generated, ours } = clients(kc, cls);
      assert.equal(typeof generated[method], 'function', `client-node has ${cls}.${method}`);
      const log = method === 'readNamespacedPodLog';
      const a = new Fake(200, log ? 'line 1\nline 2\n' : '{"kind":"Status","metadata":{"resourceVersion":"7"}}', log ? 'text/plain' : 'application/json');
      const b = new Fake(200, log ? 'line 1\nline 2\n' : '{"kind":"Status","metadata":{"resourceVersion":"7"}}', log ? 'text/plain' : 'application/json');
      // Patch calls in Terrarium always name their strategy; the generated default is JSON Patch.
      const opts = (f: Fake) => (method.startsWith('patch') ? setHeaderOptions('Content-Type', PatchStrategy.MergePatch, { httpApi: f }) : { httpApi: f }) as ConfigurationOptions;
      const want = await generated[method]!(paramsFor(method), opts(a));
      const got = await ours[method]!(paramsFor(method), opts(b));
      const [w, g] = [a.sent[0]!, b.sent[0]!];
      assert.equal(g.method, w.method);
      assert.equal(normalized(g.url), normalized(w.url));
      assert.deepEqual(g.headers, w.headers);
      // Bodies: the same JSON when the generated method sends one (its model serializer keeps the fields here).
      if (typeof w.body === 'string' && w.body !== '') assert.deepEqual(JSON.parse(String(g.body)), JSON.parse(w.body));
      else assert.equal(g.body ?? '', w.body ?? '');
      if (log) assert.equal(got, want);
      else assert.equal((got as { metadata: { resourceVersion: string } }).metadata.resourceVersion, '7');
    });
  }

  test('no Content-Type strategy given: a patch goes out as JSON Patch, like the generated one', async () => {
    const kc = kubeconfig();
    const { generated, ours } = clients(kc, 'AppsV1Api');
    const [a, b] = [new Fake(), new Fake()];
    await generated.patchNamespacedStatefulSet!(paramsFor('patch'), { httpApi: a } as ConfigurationOptions);
    await ours.patchNamespacedStatefulSet!(paramsFor('patch'), { httpApi: b } as ConfigurationOptions);
    assert.equal(b.sent[0]!.headers['Content-Type'], a.sent[0]!.headers['Content-Type']);
    assert.equal(b.sent[0]!.headers['Content-Type'], 'application/json-patch+json');
  });

  for (const [status, text] of [[404, '{"kind":"Status","code":404,"reason":"NotFound","message":"pods \\"x\\" not found"}'], [401, '{"kind":"Status","code":401}'], [503, 'upstream down']] as const) {
    test(`an HTTP ${status} fails with the same ApiException (code, body, headers)`, async () => {
      const kc = kubeconfig();
      const { generated, ours } = clients(kc, 'CoreV1Api');
      const fail = async (api: AnyApi) => {
        try { await api.readNamespacedPod!({ name: 'x', namespace: 'ns' }, { httpApi: new Fake(status, text) } as ConfigurationOptions); }
        catch (e) { return e as gen.ApiException<unknown>; }
        throw new Error('no failure');
      };
      const [w, g] = [await fail(generated), await fail(ours)];
      assert.ok(g instanceof gen.ApiException);
      assert.equal(g.code, w.code);
      assert.equal(g.body, w.body);
      assert.deepEqual(g.headers, w.headers);
      assert.equal(g.message, w.message);
    });
  }

  test('the per-call signal middleware (retry.ts requestOptions) still reaches the request', async () => {
    const kc = kubeconfig();
    const api = kc.makeApiClient(thin.CoreV1Api);
    const abort = new AbortController();
    const fake = new Fake();
    const seen: (AbortSignal | undefined)[] = [];
    const send = fake.send.bind(fake);
    fake.send = (ctx) => { seen.push(ctx.getSignal()); return send(ctx); };
    await api.readNamespacedPod({ name: 'x', namespace: 'ns' }, { ...requestOptions(abort.signal), httpApi: fake } as ConfigurationOptions);
    assert.equal(seen[0], abort.signal);
    assert.match(fake.sent[0]!.headers['User-Agent'] ?? '', /^kubernetes-client-javascript\//, 'the client\'s own middleware is kept (append)');
  });

  test('a missing path parameter is refused before any request', async () => {
    const api = kubeconfig().makeApiClient(thin.CoreV1Api);
    const fake = new Fake();
    await assert.rejects(api.readNamespacedPod({ name: 'x' } as never, { httpApi: fake } as ConfigurationOptions), /Required parameter namespace/);
    assert.equal(fake.sent.length, 0);
  });
});
