import type {
  AdmissionregistrationV1Api as GenAdmissionregistrationV1Api, AppsV1Api as GenAppsV1Api, AuthorizationV1Api as GenAuthorizationV1Api,
  Configuration, ConfigurationOptions, CoordinationV1Api as GenCoordinationV1Api, CoreV1Api as GenCoreV1Api,
  CustomObjectsApi as GenCustomObjectsApi, NetworkingV1Api as GenNetworkingV1Api, RbacAuthorizationV1Api as GenRbacAuthorizationV1Api,
  RequestContext, ResponseContext, StorageV1Api as GenStorageV1Api, VersionApi as GenVersionApi,
} from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';

/**
 * The API clients Terrarium uses, as thin stand-ins for client-node's generated ones: the same
 * class names, method names, parameter objects and per-call options (middleware, httpApi, signal),
 * so call sites read as before, but each method is one row of a route table instead of a generated
 * request factory + model serializer. The generated classes pull every API group and all ~750 model
 * classes into a bundle (about 1.9 of the CLI's 3.5 MB); these pull none (see esbuild.mjs).
 *
 * Differences from the generated clients, all towards the wire: responses are the API server's JSON
 * as sent (timestamps stay RFC 3339 strings, as in watch events, and fields newer than client-node's
 * models are kept); request bodies go out as given (JSON.stringify) instead of being re-serialized
 * through a model, which dropped unknown fields. Errors keep the generated shape: ApiException with
 * the numeric status, the raw body text (none for 401) and the response headers (translate.ts).
 * Construct with `kc.makeApiClient(CoreV1Api)` like the generated ones.
 */

type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/**
 * Method, path template ({name}, {namespace}, {group}, {version}, {plural} from the parameters),
 * the query parameters the generated method takes (others are ignored, as there), and 'text' for
 * plain-text answers.
 */
type Route = readonly [Verb, string, readonly string[], 'text'?];

// Query parameters per kind of call, in the generated clients' order (client-node names `continue` `_continue`).
const READ = ['pretty'];
const LIST = ['pretty', 'allowWatchBookmarks', '_continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const WRITE = ['pretty', 'dryRun', 'fieldManager', 'fieldValidation'];
const PATCH = [...WRITE, 'force'];
const DELETE = ['pretty', 'dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy'];
// The custom-objects client takes fewer.
const CUSTOM_LIST = LIST.filter((q) => q !== 'sendInitialEvents');
const CUSTOM_PATCH = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];
const CUSTOM_DELETE = ['gracePeriodSeconds', 'orphanDependents', 'propagationPolicy', 'dryRun'];
const LOG = ['container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'pretty', 'previous', 'sinceSeconds', 'stream', 'tailLines', 'timestamps'];

const ITEM = '/{name}';
const NS = '/namespaces/{namespace}';
const CORE = '/api/v1';
const APPS = '/apis/apps/v1';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const ADMISSION = '/apis/admissionregistration.k8s.io/v1';

type Scope = '' | 'Namespaced';
/** The generated clients' six method names for one kind: readNamespacedPod, listNamespacedPod, ..., deleteClusterRole. */
type Crud<Kind extends string, S extends Scope> = `${'read' | 'list' | 'create' | 'replace' | 'patch' | 'delete'}${S}${Kind}`;

/** The routes of Crud<Kind>: `collection` is the list path (with {namespace} when namespaced). */
function crud<K extends string, S extends Scope>(kind: K, s: S, collection: string): Record<Crud<K, S>, Route> {
  return {
    [`read${s}${kind}`]: ['GET', collection + ITEM, READ],
    [`list${s}${kind}`]: ['GET', collection, LIST],
    [`create${s}${kind}`]: ['POST', collection, WRITE],
    [`replace${s}${kind}`]: ['PUT', collection + ITEM, WRITE],
    [`patch${s}${kind}`]: ['PATCH', collection + ITEM, PATCH],
    [`delete${s}${kind}`]: ['DELETE', collection + ITEM, DELETE],
  } as unknown as Record<Crud<K, S>, Route>;
}


async function send(configuration: Configuration, api: string, method: string, route: Route, param: Record<string, unknown>, options?: ConfigurationOptions): Promise<unknown> {
  const [verb, template, query, answer] = route;
  const path = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = param[key];
    if (v === null || v === undefined) throw new Error(`Required parameter ${key} was null or undefined when calling ${api}.${method}.`);
    return encodeURIComponent(String(v));
  });
  // client-node's mergeConfiguration: per-call options replace the client's middleware unless they say append/prepend.
  const base = configuration.middleware;
  const extra = options?.middleware;
  const strategy = options?.middlewareMergeStrategy ?? 'replace';
  const middleware = !extra ? base : strategy === 'append' ? base.concat(extra) : strategy === 'prepend' ? extra.concat(base) : extra;
  const httpApi = options?.httpApi ?? configuration.httpApi;
  const authMethods = (options?.authMethods ?? configuration.authMethods) as Configuration['authMethods'];

  let ctx: RequestContext = (options?.baseServer ?? configuration.baseServer).makeRequestContext(path, verb as never);
  ctx.setHeaderParam('Accept', 'application/json, */*;q=0.8');
  for (const k of query) {
    if (param[k] !== undefined) ctx.setQueryParam(k === '_continue' ? 'continue' : k, param[k] as string);
  }
  if (verb !== 'GET' && param.body !== undefined) {
    // The generated clients' defaults; patch callers set the real strategy with setHeaderOptions.
    ctx.setHeaderParam('Content-Type', verb === 'PATCH' ? 'application/json-patch+json' : 'application/json');
    ctx.setBody(JSON.stringify(param.body));
  }
  await authMethods.default?.applySecurityAuthentication(ctx);
  for (const m of middleware) ctx = await m.pre(ctx).toPromise();
  let rsp: ResponseContext = await httpApi.send(ctx).toPromise();
  for (const m of [...middleware].reverse()) rsp = await m.post(rsp).toPromise();

  if (rsp.httpStatusCode === 401) throw new ApiException(401, 'Unauthorized', undefined, rsp.headers);
  if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) {
    throw new ApiException(rsp.httpStatusCode, 'Unknown API Status Code!', await rsp.getBodyAsAny(), rsp.headers);
  }
  const text = await rsp.body.text();
  return answer === 'text' ? text : JSON.parse(text);
}

/** A client class with one method per route, constructible by KubeConfig.makeApiClient. */
type Routes<T> = { [K in keyof T]: Route };

function thinApi<T>(name: string, routes: Routes<T>): new (configuration: Configuration) => T {
  const Api = class { constructor(readonly configuration: Configuration) {} };
  Object.defineProperty(Api, 'name', { value: name });
  for (const [method, route] of Object.entries(routes) as [string, Route][]) {
    Object.defineProperty(Api.prototype, method, {
      value(this: InstanceType<typeof Api>, param: Record<string, unknown> = {}, options?: ConfigurationOptions) {
        return send(this.configuration, name, method, route, param, options);
      },
    });
  }
  return Api as unknown as new (configuration: Configuration) => T;
}

// Each type is the generated class narrowed to the methods Terrarium (and its tests) call. The
// route tables are typed by the same names (thinApi), so a declared method without a route does not
// compile; unit test kube-api.test.ts checks the paths against kube-sim.

export type CoreV1Api = Pick<GenCoreV1Api,
  | Crud<'Namespace', ''> | Crud<'Pod' | 'PersistentVolumeClaim' | 'Service' | 'ConfigMap' | 'Secret' | 'ServiceAccount' | 'LimitRange' | 'ResourceQuota', 'Namespaced'>
  | 'readNamespacedPodLog' | 'listNamespacedEvent'>;
export const CoreV1Api = thinApi<CoreV1Api>('CoreV1Api', {
  ...crud('Namespace', '', `${CORE}/namespaces`),
  ...crud('Pod', 'Namespaced', `${CORE}${NS}/pods`),
  ...crud('PersistentVolumeClaim', 'Namespaced', `${CORE}${NS}/persistentvolumeclaims`),
  ...crud('Service', 'Namespaced', `${CORE}${NS}/services`),
  ...crud('ConfigMap', 'Namespaced', `${CORE}${NS}/configmaps`),
  ...crud('Secret', 'Namespaced', `${CORE}${NS}/secrets`),
  ...crud('ServiceAccount', 'Namespaced', `${CORE}${NS}/serviceaccounts`),
  ...crud('LimitRange', 'Namespaced', `${CORE}${NS}/limitranges`),
  ...crud('ResourceQuota', 'Namespaced', `${CORE}${NS}/resourcequotas`),
  readNamespacedPodLog: ['GET', `${CORE}${NS}/pods${ITEM}/log`, LOG, 'text'],
  listNamespacedEvent: ['GET', `${CORE}${NS}/events`, LIST],
});

export type AppsV1Api = Pick<GenAppsV1Api,
  | Crud<'StatefulSet' | 'Deployment', 'Namespaced'>
  | 'readNamespacedStatefulSetScale' | 'replaceNamespacedStatefulSetScale' | 'patchNamespacedStatefulSetScale' | 'listDaemonSetForAllNamespaces'>;
export const AppsV1Api = thinApi<AppsV1Api>('AppsV1Api', {
  ...crud('StatefulSet', 'Namespaced', `${APPS}${NS}/statefulsets`),
  ...crud('Deployment', 'Namespaced', `${APPS}${NS}/deployments`),
  readNamespacedStatefulSetScale: ['GET', `${APPS}${NS}/statefulsets${ITEM}/scale`, READ],
  replaceNamespacedStatefulSetScale: ['PUT', `${APPS}${NS}/statefulsets${ITEM}/scale`, WRITE],
  patchNamespacedStatefulSetScale: ['PATCH', `${APPS}${NS}/statefulsets${ITEM}/scale`, PATCH],
  listDaemonSetForAllNamespaces: ['GET', `${APPS}/daemonsets`, LIST],
});

export type NetworkingV1Api = Pick<GenNetworkingV1Api, Crud<'NetworkPolicy', 'Namespaced'>>;
export const NetworkingV1Api = thinApi<NetworkingV1Api>('NetworkingV1Api',
  crud('NetworkPolicy', 'Namespaced', `/apis/networking.k8s.io/v1${NS}/networkpolicies`));

export type RbacAuthorizationV1Api = Pick<GenRbacAuthorizationV1Api, Crud<'Role' | 'RoleBinding', 'Namespaced'> | Crud<'ClusterRole' | 'ClusterRoleBinding', ''>>;
export const RbacAuthorizationV1Api = thinApi<RbacAuthorizationV1Api>('RbacAuthorizationV1Api', {
  ...crud('Role', 'Namespaced', `${RBAC}${NS}/roles`),
  ...crud('RoleBinding', 'Namespaced', `${RBAC}${NS}/rolebindings`),
  ...crud('ClusterRole', '', `${RBAC}/clusterroles`),
  ...crud('ClusterRoleBinding', '', `${RBAC}/clusterrolebindings`),
});

export type AdmissionregistrationV1Api = Pick<GenAdmissionregistrationV1Api, Crud<'ValidatingAdmissionPolicy' | 'ValidatingAdmissionPolicyBinding', ''>>;
export const AdmissionregistrationV1Api = thinApi<AdmissionregistrationV1Api>('AdmissionregistrationV1Api', {
  ...crud('ValidatingAdmissionPolicy', '', `${ADMISSION}/validatingadmissionpolicies`),
  ...crud('ValidatingAdmissionPolicyBinding', '', `${ADMISSION}/validatingadmissionpolicybindings`),
});

export type CustomObjectsApi = Pick<GenCustomObjectsApi,
  'listNamespacedCustomObject' | 'listClusterCustomObject' | 'createNamespacedCustomObject' | 'getNamespacedCustomObject'
  | 'patchNamespacedCustomObject' | 'deleteNamespacedCustomObject'>;
const CUSTOM = '/apis/{group}/{version}';
export const CustomObjectsApi = thinApi<CustomObjectsApi>('CustomObjectsApi', {
  listNamespacedCustomObject: ['GET', `${CUSTOM}${NS}/{plural}`, CUSTOM_LIST],
  listClusterCustomObject: ['GET', `${CUSTOM}/{plural}`, CUSTOM_LIST],
  createNamespacedCustomObject: ['POST', `${CUSTOM}${NS}/{plural}`, WRITE],
  getNamespacedCustomObject: ['GET', `${CUSTOM}${NS}/{plural}${ITEM}`, []],
  patchNamespacedCustomObject: ['PATCH', `${CUSTOM}${NS}/{plural}${ITEM}`, CUSTOM_PATCH],
  deleteNamespacedCustomObject: ['DELETE', `${CUSTOM}${NS}/{plural}${ITEM}`, CUSTOM_DELETE],
});

export type AuthorizationV1Api = Pick<GenAuthorizationV1Api, 'createSelfSubjectAccessReview' | 'createSelfSubjectRulesReview'>;
export const AuthorizationV1Api = thinApi<AuthorizationV1Api>('AuthorizationV1Api', {
  createSelfSubjectAccessReview: ['POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', WRITE],
  createSelfSubjectRulesReview: ['POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', WRITE],
});

export type StorageV1Api = Pick<GenStorageV1Api, 'listStorageClass' | 'readStorageClass'>;
export const StorageV1Api = thinApi<StorageV1Api>('StorageV1Api', {
  listStorageClass: ['GET', '/apis/storage.k8s.io/v1/storageclasses', LIST],
  readStorageClass: ['GET', `/apis/storage.k8s.io/v1/storageclasses${ITEM}`, READ],
});

export type CoordinationV1Api = Pick<GenCoordinationV1Api, 'readNamespacedLease'>;
export const CoordinationV1Api = thinApi<CoordinationV1Api>('CoordinationV1Api', {
  readNamespacedLease: ['GET', `/apis/coordination.k8s.io/v1${NS}/leases${ITEM}`, READ],
});

export type VersionApi = Pick<GenVersionApi, 'getCode'>;
export const VersionApi = thinApi<VersionApi>('VersionApi', { getCode: ['GET', '/version/', []] });
