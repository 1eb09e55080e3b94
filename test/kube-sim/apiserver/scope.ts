/** What a handler gets: the server's parts (scope) and the request being served (context). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DeleteOptions, KubeObject } from '../machinery/types';
import type { ResourceDef } from '../registry/types';
import type { Store } from '../storage/store';
import type { AdmissionChain } from './admission/chain';
import type { UserInfo } from './filters/authentication';
import type { Authorizer } from './filters/authorization';
import type { RequestInfo } from './requestInfo';

export type StreamKind = 'exec' | 'attach' | 'portforward';

/** What the API server delegates to the rest of kube-sim (wired in index.ts). */
export interface ApiHooks {
  /** Deletes go through here so pods can terminate gracefully and owners cascade. */
  onDelete?(r: ResourceDef, ns: string | undefined, name: string, opts: DeleteOptions): KubeObject | undefined;
  /** The StatefulSet scale subresource: reads, and writes when replicas is given. */
  scale?(ns: string, name: string, replicas?: number): object;
  /** pods/log: the container's output (`previous`: its last terminated run); throws an ApiError (400) when there is none. */
  podLog?(ns: string, name: string, opts?: { container?: string; previous?: boolean }): string;
  upgrade?(kind: StreamKind, req: IncomingMessage, socket: Duplex, head: Buffer, ns: string, name: string, query: URLSearchParams): void;
}

export interface ApiScope {
  readonly store: Store;
  readonly hooks: ApiHooks;
  readonly admission: AdmissionChain;
  readonly authorizer: Authorizer;
  /** Open watches: each entry ends its watch. */
  readonly watches: Set<() => void>;
  /** The longest a watch runs (seconds). */
  watchTimeout(): number;
}

/** A resource request after requestInfo, authentication and resolution against the registry. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  info: RequestInfo;
  user: UserInfo;
  /** The raw body of POST, PUT and PATCH ('' otherwise). */
  body: string;
  resource: ResourceDef;
  /** The namespace objects are stored under: the request's, or undefined for cluster-scoped kinds. */
  namespace?: string;
  name?: string;
  subresource?: string;
}
