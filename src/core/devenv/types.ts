/** What a person asks for when creating (or re-applying) an environment. Unset fields take defaults. */
export interface EnvSpec {
  name: string;
  image?: string;
  replicas?: number;
  cpu?: { request?: string; limit?: string };
  memory?: { request?: string; limit?: string };
  storage?: { size?: string; className?: string };
  /** Extra CIDRs sandboxes may reach besides DNS and public addresses (e.g. an internal Git server). */
  egressAllow?: string[];
  /** Ready, unclaimed sandboxes the controller keeps (annotation terrarium.dev/warm-spares); unset: no warm pool. */
  warmSpares?: number;
  /** A claim idle this long is released, keeping the workspace ("30m", "8h"); unset: claims never expire. */
  claimTtl?: string;
  /** An environment idle this long is stopped (scaled to 0, workspaces kept); unset: never. */
  idleStopAfter?: string;
  /** Secrets (typically VSO destinations) every sandbox gets, as environment variables or files under /run/secrets/NAME. */
  secrets?: SecretUse[];
}

/** A Secret given to an environment's sandboxes: its keys as environment variables, or read-only files. */
export interface SecretUse { name: string; as: 'env' | 'file' }

export interface RequestLimit { request?: string; limit?: string }

export type EnvironmentStatus = 'Ready' | 'Starting' | 'Degraded' | 'Stopped' | 'Deleting';

/** One environment as read from its StatefulSet (and its pods, for readiness). */
export interface Environment {
  name: string;
  namespace: string;
  /** spec.replicas: how many sandboxes are wanted. */
  desired: number;
  /** Sandboxes whose pod is Ready. */
  ready: number;
  image: string;
  status: EnvironmentStatus;
  resources: { cpu: RequestLimit; memory: RequestLimit };
  storage: { size?: string; className?: string };
  /**
   * Environments created before host keys moved to the workspaces: the environment-wide key their
   * older images present ("ssh-ed25519 AAAA..."). New sandboxes each have their own key.
   */
  hostPublicKey?: string;
  /** Replicas before the last stop, so start brings the same number back. */
  lastReplicas?: number;
  createdAt?: string;
  generation?: number;
  /** Warm spares the controller keeps (annotation terrarium.dev/warm-spares); undefined: no warm pool. */
  warmSpares?: number;
  /** Most sandboxes the warm pool scales to (terrarium.dev/max-replicas, default 20). */
  maxReplicas?: number;
  /** Idle claims are released after this ("30m"); undefined: never. */
  claimTtl?: string;
  /** The environment stops after being idle this long ("8h"); undefined: never. */
  idleStopAfter?: string;
  /** Pool/idle annotations that could not be read and count as absent, in words. */
  settingProblems?: string[];
  /** Secrets given to the sandboxes (from the pod template). */
  secrets?: SecretUse[];
  /** The egress allow-list as last applied (annotation terrarium.dev/egress-allow); undefined: not recorded (older environment). */
  egressAllow?: string[];
}

export type SandboxPhase =
  | 'Ready' | 'Starting' | 'Pending' | 'CrashLoopBackOff' | 'ImagePullBackOff'
  | 'Terminating' | 'Stopped' | 'Failed' | 'Unknown';

/** A status a person understands: the phase, a short reason and, where there is one, the cluster's own words. */
export interface SandboxStatus {
  phase: SandboxPhase;
  reason?: string;
  message?: string;
}

/** One pod of an environment (`<env>-<ordinal>`) with its workspace PVC; Stopped when only the PVC exists. */
export interface Sandbox {
  name: string;
  environment: string;
  ordinal: number;
  status: SandboxStatus;
  pvc: string;
  pvcPhase?: string;
  /** The workspace PVC's uid: new when the sandbox is recycled (its host key is pinned under it). */
  pvcUid?: string;
  claimedBy?: string;
  restarts: number;
  podIP?: string;
  node?: string;
  createdAt?: string;
}
