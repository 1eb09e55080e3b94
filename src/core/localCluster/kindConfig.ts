/**
 * The kind cluster Terrarium creates: one node (the control plane runs sandboxes too; kind removes
 * its NoSchedule taint on a single-node cluster), kind's default StorageClass "standard"
 * (local-path, so workspaces live inside the node container), and a node image pinned by digest.
 */
import { TerrariumError } from '../kube/errors';

/**
 * Kubernetes 1.32.0 as built for kind v0.26.0 (its release notes list this digest). 1.30+ is what
 * the claim policy needs: ValidatingAdmissionPolicy admissionregistration.k8s.io/v1 is GA there.
 * Another kind release may want its own image: --node-image takes one from its release notes.
 */
export const KIND_NODE_IMAGE = 'kindest/node:v1.32.0@sha256:c48c62eac5da28cdadcf560d1d8616cfa6783b58f0d94cf63ad1bf49600cb027';
export const MIN_KUBERNETES_MINOR = 30;
export const DEFAULT_CLUSTER_NAME = 'terrarium';

/** kind cluster names become container names (`<name>-control-plane`) and the context `kind-<name>`. */
const NAME = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;
export function validateClusterName(name: string): void {
  if (!NAME.test(name)) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(name)} is not a kind cluster name.`,
      'Use 1 to 50 lowercase letters, digits and dashes, starting and ending with a letter or digit, e.g. terrarium.');
  }
}

export const contextOf = (name: string): string => `kind-${name}`;
export const nodeContainerOf = (name: string): string => `${name}-control-plane`;

/** The Kubernetes minor version of a kindest/node tag, or undefined when the tag does not say. */
export function nodeImageMinor(image: string): number | undefined {
  const m = /:v1\.(\d+)\.\d+/.exec(image);
  return m ? Number(m[1]) : undefined;
}

export function validateNodeImage(image: string): void {
  if (!/^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/i.test(image)) {
    throw new TerrariumError('InvalidInput', `--node-image ${JSON.stringify(image)} is not an image reference.`,
      `Give a kindest/node image from your kind release's notes, e.g. ${KIND_NODE_IMAGE}.`);
  }
  const minor = nodeImageMinor(image);
  if (minor !== undefined && minor < MIN_KUBERNETES_MINOR) {
    throw new TerrariumError('InvalidInput', `--node-image ${image} is Kubernetes 1.${minor}; Terrarium's claim policy needs 1.${MIN_KUBERNETES_MINOR} or newer (ValidatingAdmissionPolicy v1).`,
      `Use a kindest/node image of v1.${MIN_KUBERNETES_MINOR} or newer, e.g. ${KIND_NODE_IMAGE}.`);
  }
}

/** The kind config file (YAML; kind reads it with --config). */
export function renderKindConfig(o: { nodeImage?: string } = {}): string {
  const image = o.nodeImage ?? KIND_NODE_IMAGE;
  validateNodeImage(image);
  return [
    '# Written by terrarium cluster create: one node; kind installs its default StorageClass ("standard").',
    'kind: Cluster',
    'apiVersion: kind.x-k8s.io/v1alpha4',
    'nodes:',
    '- role: control-plane',
    `  image: ${image}`,
    '',
  ].join('\n');
}
