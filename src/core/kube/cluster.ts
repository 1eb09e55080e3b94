import { type ConfigurationOptions, Exec, KubeConfig } from '@kubernetes/client-node';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api, RbacAuthorizationV1Api, VersionApi } from './api';
import { kubeCall, type RetryOptions } from './retry';
import { type KubeOp } from './errors';
import { impersonatingKubeConfig } from './impersonation';

/**
 * One kubeconfig context, with its own KubeConfig object. Never switch the current context of a
 * shared KubeConfig: client-node reads credentials from the current context per request, while
 * the server URL is fixed when the API client is created.
 */
export class Cluster {
  constructor(
    readonly kc: KubeConfig,
    readonly context: string,
    /** The namespace Terrarium works in for this cluster (default "devenv"). */
    readonly namespace: string,
    /** The kubeconfig file(s) this came from, for ProxyCommands that must reach the same cluster. */
    readonly kubeconfigPath?: string,
  ) {}

  private clients = new Map<unknown, unknown>();
  private client<T>(ctor: new (...a: any[]) => T, make: () => T): T {
    let c = this.clients.get(ctor) as T | undefined;
    if (!c) { c = make(); this.clients.set(ctor, c); }
    return c;
  }
  get core(): CoreV1Api { return this.client(CoreV1Api, () => this.kc.makeApiClient(CoreV1Api)); }
  get apps(): AppsV1Api { return this.client(AppsV1Api, () => this.kc.makeApiClient(AppsV1Api)); }
  get networking(): NetworkingV1Api { return this.client(NetworkingV1Api, () => this.kc.makeApiClient(NetworkingV1Api)); }
  get rbac(): RbacAuthorizationV1Api { return this.client(RbacAuthorizationV1Api, () => this.kc.makeApiClient(RbacAuthorizationV1Api)); }
  get custom(): CustomObjectsApi { return this.client(CustomObjectsApi, () => this.kc.makeApiClient(CustomObjectsApi)); }
  get version(): VersionApi { return this.client(VersionApi, () => this.kc.makeApiClient(VersionApi)); }
  get exec(): Exec { return this.client(Exec, () => new Exec(this.kc)); }

  /** The API server URL of this context. */
  get server(): string | undefined { return this.kc.getCurrentCluster()?.server; }
  /** The kubeconfig cluster entry of this context. */
  get clusterName(): string | undefined { return this.kc.getCurrentCluster()?.name; }

  /** A complete KubeOp for error messages: this context, server, cluster entry and namespace. */
  op(op: Omit<KubeOp, 'context' | 'server' | 'cluster'>): KubeOp {
    return { namespace: this.namespace, ...op, context: this.context, server: this.server, cluster: this.clusterName };
  }

  /**
   * Runs one API call with retries on 429/5xx and error translation naming this context.
   * `fn` gets per-request options carrying opts.signal: pass them as the API method's last argument.
   */
  call<T>(op: Omit<KubeOp, 'context'>, fn: (options?: ConfigurationOptions) => Promise<T>, opts?: RetryOptions): Promise<T> {
    return kubeCall(this.op(op), fn, opts);
  }

  /** The same cluster in another namespace (shares the KubeConfig, which is never mutated). */
  withNamespace(namespace: string): Cluster {
    return new Cluster(this.kc, this.context, namespace, this.kubeconfigPath);
  }

  /** The user this Cluster's requests act for (Impersonate-User), if any. */
  get impersonatedUser(): string | undefined { return this.kc.getCurrentUser()?.impersonateUser || undefined; }

  /** The same cluster acting for `user` (and `group`), through impersonation: see impersonation.ts. */
  impersonating(user: string, opts: { group?: string } = {}): Cluster {
    return new Cluster(impersonatingKubeConfig(this.kc, this.context, user, opts), this.context, this.namespace, this.kubeconfigPath);
  }
}
