/** The audit record: who did what to which object, and how it ended. One JSON object per action. */

export type AuditAction =
  | 'exec' | 'attach' | 'port-forward' | 'scale' | 'delete' | 'claim' | 'release' | 'key-install'
  | 'reveal' | 'copy' | 'resync' | 'create' | 'restart' | 'restart-targets'
  | 'tmux-send' | 'tmux-capture' | 'tmux-kill' | 'tmux-new';

export type AuditResult = 'ok' | 'failed' | 'cancelled';

export type AuditDetail = Record<string, string | number | boolean | undefined>;

/**
 * Who acted. `api-server`: the user name the API server authenticated (SelfSubjectReview), the
 * identity that matters on a shared cluster. `kubeconfig`: only the kubeconfig's user entry name,
 * a local label, used when the server could not be asked.
 */
export interface AuditWho {
  user: string;
  source: 'api-server' | 'kubeconfig';
}

export interface AuditRecord {
  /** ISO 8601, UTC. */
  time: string;
  who?: AuditWho;
  action: AuditAction;
  context: string;
  namespace: string;
  /** The object acted on: an environment, a sandbox, `secret/NAME`, `KIND/NAME`. */
  target: string;
  /** Redacted (see redact()) before any sink sees it. */
  detail?: AuditDetail;
  result: AuditResult;
  /** On failure: the TerrariumError code (or "Error") and its message, redacted. */
  error?: { code: string; message: string };
}

/** The port every front end implements: the CLI writes a file (and stderr), the extension its log. */
export interface Auditor {
  record(r: AuditRecord): void;
}
