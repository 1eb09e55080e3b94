/** Labels, annotations and object names shared by rendering, operations and the read model. */
import { version as packageVersion } from '../../../package.json';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_ENVIRONMENT = 'terrarium.dev/environment';
export const MANAGED_BY = 'terrarium';
export const APP_NAME = 'terrarium';
export const FIELD_MANAGER = 'terrarium';

export const ANNOTATION_LAST_REPLICAS = 'terrarium.dev/last-replicas';
/** The egress allow-list the NetworkPolicy was rendered with (comma-separated CIDRs, empty: none). */
export const ANNOTATION_EGRESS_ALLOW = 'terrarium.dev/egress-allow';
export const ANNOTATION_HOST_PUBLIC_KEY = 'terrarium.dev/host-public-key';
/** Written by claims (another module); read here for Sandbox.claimedBy. */
export const ANNOTATION_CLAIMED_BY = 'terrarium.dev/claimed-by';

/** The sandbox container; exec and tmux target it by this name. */
export const SANDBOX_CONTAINER = 'devenv';
export const SSH_PORT = 2222;
export const WORKSPACE_VOLUME = 'workspace';
export const WORKSPACE_MOUNT = '/workspace';

/** Where the release workflow (.github/workflows/image.yml) pushes the devenv image. */
export const DEVENV_REPOSITORY = 'ghcr.io/terrarium-dev/terrarium-devenv';
/** The devenv image of this very version (never :latest: what runs matches what was tested and released). */
export const DEFAULT_IMAGE = `${DEVENV_REPOSITORY}:${packageVersion}`;
export const DEFAULT_MAX_REPLICAS = 20;

export const hostKeySecretName = (env: string): string => `${env}-hostkey`;
export const sandboxName = (env: string, ordinal: number): string => `${env}-${ordinal}`;
export const workspaceClaimName = (env: string, ordinal: number): string => `${WORKSPACE_VOLUME}-${env}-${ordinal}`;

/** Labels every object of one environment carries; the first two select its pods. */
export function environmentLabels(env: string): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_ENVIRONMENT]: env, [LABEL_MANAGED_BY]: MANAGED_BY };
}

export function podSelector(env: string): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_ENVIRONMENT]: env };
}

export const selectorString = (labels: Record<string, string>): string =>
  Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

function escapeRegExp(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

/** Ordinal of `<env>-<n>`, or undefined when the name is not a sandbox of env. */
export function ordinalOf(env: string, podName: string): number | undefined {
  const m = new RegExp(`^${escapeRegExp(env)}-(0|[1-9][0-9]*)$`).exec(podName);
  return m ? Number(m[1]) : undefined;
}

/** Ordinal of `workspace-<env>-<n>`, or undefined when the PVC is not a workspace of env. */
export function workspaceOrdinalOf(env: string, pvcName: string): number | undefined {
  const prefix = `${WORKSPACE_VOLUME}-`;
  return pvcName.startsWith(prefix) ? ordinalOf(env, pvcName.slice(prefix.length)) : undefined;
}
