/**
 * Why a sandbox's image cannot be pulled, and what to do, from the kubelet's words (the waiting
 * message or the "Failed to pull image" event). One text for the CLI (status, sandbox list,
 * --wait), the tree and panel (SandboxStatus.message) and ssh-proxy's "not ready" error.
 */

/** Waiting reasons of a container whose image is not there. */
export const IMAGE_PULL_REASONS: ReadonlySet<string> = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);

export type ImagePullCause = 'unauthorized' | 'not-found' | 'platform' | 'unreachable' | 'invalid' | 'unknown';

export interface ImagePullExplanation {
  cause: ImagePullCause;
  /** "the registry refused ..." — what went wrong, in words. */
  why: string;
  /** What to do, naming the CLI command or flag. */
  fix: string;
}

/** Classifies the kubelet's/runtime's text (containerd, CRI-O and docker word these differently). */
export function imagePullCause(text: string, reason?: string): ImagePullCause {
  const m = text.toLowerCase();
  if (reason === 'InvalidImageName' || /invalid reference format|invalidimagename/.test(m)) return 'invalid';
  // Before "not found": registries answer "pull access denied ... repository does not exist or may require authorization".
  if (/unauthorized|authentication required|access denied|pull access denied|denied:|403 forbidden|401 unauthorized|no basic auth credentials/.test(m)) return 'unauthorized';
  if (/no match for platform|no matching manifest|exec format error|does not match the specified platform/.test(m)) return 'platform';
  if (/manifest unknown|not found|notfound|name unknown/.test(m)) return 'not-found';
  if (/i\/o timeout|no such host|connection refused|dial tcp|tls handshake timeout|registryunavailable/.test(m) || reason === 'RegistryUnavailable') return 'unreachable';
  return 'unknown';
}

export function explainImagePull(image: string, text: string, reason?: string): ImagePullExplanation {
  const cause = imagePullCause(text, reason);
  const other = 'or choose an image the nodes can pull: terrarium env update ENV --image IMAGE (new environments: env create --image, or the terrarium.image setting in VS Code)';
  switch (cause) {
    case 'unauthorized':
      return { cause, why: `the registry refused to serve ${image} without credentials (a private image)`,
        fix: 'Give the sandboxes imagePullSecrets: kubectl -n NAMESPACE create secret docker-registry regcred --docker-server=REGISTRY --docker-username=USER --docker-password=TOKEN, '
          + 'then kubectl -n NAMESPACE patch serviceaccount default -p \'{"imagePullSecrets":[{"name":"regcred"}]}\' and restart the sandbox (terrarium sandbox restart SANDBOX); '
          + `or make the image public, ${other}.` };
    case 'not-found':
      return { cause, why: `${image} does not exist in its registry (no such repository or tag)`,
        fix: `Build and push it: terrarium image build --tag ${image} --push (a local kind cluster: terrarium image build --kind-load CLUSTER), ${other}.` };
    case 'platform':
      return { cause, why: `${image} has no build for the node's architecture (no match for platform)`,
        fix: 'Build it for the nodes\' architecture and push it (terrarium image build --push on a machine of that architecture, or the release workflow\'s multi-arch build with docker buildx), '
          + `${other}.` };
    case 'unreachable':
      return { cause, why: `the node cannot reach the registry of ${image}`,
        fix: `Check the nodes' network and proxy settings for that registry, push the image to a registry they reach (terrarium image build --tag REGISTRY/IMAGE --push), ${other}.` };
    case 'invalid':
      return { cause, why: `${JSON.stringify(image)} is not a valid image reference`,
        fix: 'Give a reference such as ghcr.io/OWNER/terrarium-devenv:TAG: terrarium env update ENV --image IMAGE (new environments: env create --image, or the terrarium.image setting in VS Code).' };
    default:
      return { cause, why: `the node could not pull ${image}`,
        fix: `Build and push it (terrarium image build --tag ${image} --push), give the sandboxes imagePullSecrets if the registry is private, ${other}; terrarium doctor checks image pulls.` };
  }
}

/** One line for a status: why, the kubelet's own words, and the fix. */
export function imagePullMessage(image: string, kubeletText: string, reason?: string): string {
  const e = explainImagePull(image, kubeletText, reason);
  const said = kubeletText.trim();
  return `The image cannot be pulled: ${e.why}${said ? ` (${said})` : ''}. ${e.fix}`;
}
