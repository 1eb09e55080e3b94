/**
 * The doctor's judgements, pure (tested without a cluster): server version against the features
 * Terrarium needs, the CNI from kube-system's workloads, whether the environments' egress policy lets
 * sandboxes reach the cluster DNS, Pod Security labels, the default StorageClass, image pull failures.
 */

// ---- Server version ----

/** The features Terrarium uses that set the oldest usable Kubernetes, newest first. */
export const VERSION_FEATURES = [
  { minor: 30, what: 'ValidatingAdmissionPolicy v1 (the claim policy)' },
  { minor: 28, what: 'SelfSubjectReview v1 (who you are)' },
] as const;

/** "v1.29.3-eks-123" → 29 (major 1); undefined when unreadable. */
export function minorOf(gitVersion: string | undefined): number | undefined {
  const m = /^v?1\.(\d+)/.exec(gitVersion ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The features missing on this server, or [] when it is new enough (or unreadable: nothing to say). */
export function missingFeatures(gitVersion: string | undefined): string[] {
  const minor = minorOf(gitVersion);
  if (minor === undefined) return [];
  return VERSION_FEATURES.filter((f) => minor < f.minor).map((f) => `${f.what} needs 1.${f.minor}`);
}

// ---- CNI ----

export interface CniJudgement {
  /** The CNIs recognised (names as people know them). */
  found: string[];
  /** true: NetworkPolicy is enforced; false: only CNIs that ignore it; undefined: cannot tell. */
  enforces?: boolean;
}

/** CNIs that enforce NetworkPolicy, by the names of their kube-system workloads. */
const ENFORCING: [RegExp, string][] = [
  [/^calico-node|^canal|^calico-kube-controllers/, 'Calico'],
  [/^cilium/, 'Cilium'],
  [/^antrea/, 'Antrea'],
  [/^weave-net/, 'Weave Net'],
  [/^kube-router/, 'kube-router'],
];
/** CNIs that route pods but ignore NetworkPolicy objects. */
const NOT_ENFORCING: [RegExp, string][] = [
  [/^kindnet/, 'kindnet'],
  [/^kube-flannel|^flannel/, 'flannel'],
];

/** Judges from workload names (DaemonSets and pods of kube-system and the CNIs' own namespaces). */
export function judgeCni(names: readonly string[]): CniJudgement {
  const hit = (table: [RegExp, string][]) => [...new Set(table.filter(([re]) => names.some((n) => re.test(n))).map(([, what]) => what))];
  const enforcing = hit(ENFORCING);
  const ignoring = hit(NOT_ENFORCING);
  // Canal is flannel + Calico's policy: an enforcing CNI next to a non-enforcing one enforces.
  if (enforcing.length) return { found: [...enforcing, ...ignoring], enforces: true };
  if (ignoring.length) return { found: ignoring, enforces: false };
  return { found: [] };
}

// ---- DNS under the egress policy ----

/** NodeLocal DNSCache's link-local address (the kubelet's --cluster-dns when it is installed). */
export const NODE_LOCAL_DNS = '169.254.20.10';

interface Peer { ipBlock?: { cidr: string; except?: string[] }; namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: unknown }
interface EgressRule { to?: Peer[]; ports?: { protocol?: string; port?: number | string }[] }

function ipv4(a: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}
function inCidr(addr: string, cidr: string): boolean {
  const [base, len] = cidr.split('/');
  const a = ipv4(addr), b = ipv4(base ?? '');
  if (a === undefined || b === undefined) return false;
  const bits = len === undefined ? 32 : Number(len);
  if (bits === 0) return true;
  const mask = (~0 << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}
const allowsUdp53 = (r: EgressRule) => !r.ports?.length
  || r.ports.some((p) => (p.protocol ?? 'TCP').toUpperCase() === 'UDP' && (p.port === undefined || Number(p.port) === 53 || p.port === 'dns'));

export interface DnsTarget {
  /** The address pods send DNS queries to. */
  address: string;
  /** The namespace of the DNS pods behind it, when the address is a Service's (kube-system; openshift-dns); undefined for a node-local listener. */
  podNamespace?: string;
}

/**
 * Does the policy let a pod query DNS at `target`? A Service address is translated to a DNS pod
 * before the policy applies, so a namespaceSelector of that pod's namespace allows it; a node-local
 * listener (NodeLocal DNSCache) is no pod: only an ipBlock that covers its address (and does not
 * except it) allows it.
 */
export function policyAllowsDns(egress: readonly EgressRule[] | undefined, target: DnsTarget): boolean {
  if (egress === undefined) return true; // no Egress policy type: egress is open
  return egress.some((r) => allowsUdp53(r) && (!r.to?.length || r.to.some((peer) => {
    if (peer.ipBlock) return inCidr(target.address, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e) => inCidr(target.address, e));
    if (peer.namespaceSelector && target.podNamespace) {
      const want = peer.namespaceSelector.matchLabels ?? {};
      return Object.entries(want).every(([k, v]) => k === 'kubernetes.io/metadata.name' && v === target.podNamespace);
    }
    return false;
  })));
}

// ---- Pod Security ----

export const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';
export type PsaLevel = 'restricted' | 'baseline' | 'privileged' | undefined;
export function psaLevel(labels: Record<string, string> | undefined): PsaLevel {
  const v = labels?.[PSA_ENFORCE];
  return v === 'restricted' || v === 'baseline' || v === 'privileged' ? v : undefined;
}

// ---- StorageClass ----

export interface StorageClassInfo { name: string; annotations?: Record<string, string>; volumeBindingMode?: string; allowVolumeExpansion?: boolean; provisioner?: string }
const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
/** The default classes (more than one is a misconfiguration: the newest wins since 1.26). */
export const defaultClasses = (classes: readonly StorageClassInfo[]): StorageClassInfo[] =>
  classes.filter((c) => DEFAULT_ANNOTATIONS.some((a) => c.annotations?.[a] === 'true'));

// ---- Image pulls ----

export const PULL_FAILURES = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'] as const;

/** Why a pull failed, in words, from the kubelet's message. */
export function pullCause(message: string): string {
  const m = message.toLowerCase();
  if (/unauthorized|authentication required|denied|401|403/.test(m)) return 'the registry refused the credentials (a private image needs imagePullSecrets)';
  if (/manifest unknown|not found|notfound/.test(m)) return 'the image or tag does not exist in the registry (build and push it, or choose another with --image)';
  if (/no matching manifest|platform|exec format/.test(m)) return 'the image has no build for the node\'s architecture (build it multi-arch)';
  if (/timeout|i\/o timeout|no such host|connection refused/.test(m)) return 'the node cannot reach the registry';
  return 'the node could not pull it';
}
