/**
 * Errors a person can act on. Every Kubernetes failure is translated into a TerrariumError with a
 * message that says what happened and a hint that says what to do. Bugs stay plain Errors.
 */
export type ErrorCode =
  | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Invalid'
  | 'TooManyRequests' | 'ServerError' | 'Unreachable' | 'TLS' | 'BadKubeconfig' | 'NoKubeconfig'
  | 'NoContext' | 'InvalidInput' | 'NotReady' | 'Timeout' | 'Cancelled' | 'HostKeyChanged'
  | 'ResponseTooLarge' | 'Unknown';

export class TerrariumError extends Error {
  override readonly name = 'TerrariumError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the person can do about it, one sentence. */
    readonly hint?: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options?.status;
  }
  readonly status?: number;

  /** Message and hint as one text for a notification or a CLI error line. */
  get text(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export function isTerrariumError(e: unknown, code?: ErrorCode): e is TerrariumError {
  return e instanceof TerrariumError && (code === undefined || e.code === code);
}

/** What was being attempted, so errors can name the verb, resource and cluster. */
export interface KubeOp {
  context?: string;
  /** Kubernetes verb: get, list, watch, create, patch, update, delete, deletecollection. */
  verb: string;
  /** Plural resource, with subresource and group where not core: "statefulsets.apps", "pods/exec". */
  resource: string;
  namespace?: string;
  name?: string;
  /** The API server URL, so "unreachable" and TLS errors can say which server. */
  server?: string;
  /** The kubeconfig cluster entry name, so TLS hints can say which entry to fix. */
  cluster?: string;
}
