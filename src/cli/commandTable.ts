/**
 * Every `terrarium` subcommand, as data: its words, usage, options and a lazy loader for its
 * handler. Adding a subcommand is adding one entry here and one small module under commands/.
 * Handlers are imported only when their command runs, so `--help`, usage errors and the SSH
 * ProxyCommand never load modules they do not need.
 */
import type { OptionSpecs } from './args';
import type { AnyCommand, CommandEntry } from './commandTypes';

// The types live in commandTypes.ts (commands import them from there, not from this table).
export type { AnyCommand, CommandContext, CommandEntry, CommandHandler, CommandInput } from './commandTypes';

export function usageOf(c: AnyCommand): string {
  const opts = c.options && Object.keys(c.options).length ? ' [options]' : '';
  return `terrarium ${c.name}${c.args ? ` ${c.args}` : ''}${opts}`;
}

const WAIT_OPTIONS = {
  wait: { type: 'boolean', description: 'wait until all sandboxes are ready' },
  timeout: { type: 'string', value: 'SECONDS', description: 'how long --wait waits (default 300)' },
} as const satisfies OptionSpecs;

/** The options of job run and job start (src/core/jobs/render.ts). */
const JOB_OPTIONS = {
  image: { type: 'string', value: 'IMAGE', description: 'the image to run (required)' },
  name: { type: 'string', value: 'NAME', description: 'the Job\'s name (default job-<random>)' },
  ttl: { type: 'string', value: 'SECONDS', description: 'how long the finished Job (and its logs) stays (default 300)' },
  timeout: { type: 'string', value: 'DURATION', description: 'stop it after this long: activeDeadlineSeconds (default 30m)' },
  env: { type: 'string', multiple: true, value: 'K=V', description: 'an environment variable' },
  secret: { type: 'string', multiple: true, value: 'NAME[=env|=file]', description: 'give a Secret as env vars or files under /run/secrets/NAME' },
  memory: { type: 'string', value: 'QTY', description: 'memory limit, e.g. 512Mi (default 4Gi)' },
  cpu: { type: 'string', value: 'QTY', description: 'CPU limit, e.g. 500m (default 2)' },
  environment: { type: 'string', value: 'ENV', description: 'the environment whose NetworkPolicy applies to it (default jobs)' },
} as const satisfies OptionSpecs;

const PARSED: CommandEntry[] = [
  {
    kind: 'parsed', name: 'status', summary: 'Show the kubeconfig, context, server, health and the environments',
    details: 'Exits with 1 when a health check fails (e.g. the cluster is unreachable).',
    examples: ['terrarium status --json'],
    load: async () => (await import('./commands/status')).statusCommand,
  },
  {
    kind: 'parsed', name: 'doctor', summary: 'Check what blocks using Terrarium here: cluster, identity, permissions, platform, storage, network, VSO, images, local tools',
    details: 'Checks the kubeconfig and context, the API server and its version, who you are, each Terrarium action, the namespace\'s Pod\n'
      + 'Security labels, the default StorageClass, NetworkPolicy enforcement (known CNIs) and DNS under the egress policy, the Vault\n'
      + 'Secrets Operator, the controller and claim policy, image pulls of sandboxes, and ssh/docker/podman/kind/helm on this machine.\n'
      + 'Exits with 0 only when nothing blocks use (warnings, such as advisory claims, do not). Example: terrarium doctor --json',
    load: async () => (await import('./commands/doctor')).doctorCommand,
  },
  {
    kind: 'parsed', name: 'platform install', summary: 'Install the multi-user platform in a namespace (cluster admin)',
    options: {
      'users-group': { type: 'string', value: 'GROUP', description: 'the group every Terrarium user is in (default terrarium-users)' },
      'admins-group': { type: 'string', value: 'GROUP', description: 'the group that may act for others (default terrarium-admins)' },
      'controller-image': { type: 'string', value: 'IMAGE', description: 'the controller image (default: this version\'s)' },
      'dry-run': { type: 'boolean', description: 'let the API server check every object without storing any' },
      output: { type: 'string', short: 'o', value: 'yaml|json', description: 'print the objects instead of applying them (for GitOps)' },
      'quota-pods': { type: 'string', value: 'N', description: 'ResourceQuota: most pods in the namespace (no quota unless a --quota-* flag is given)' },
      'quota-storage': { type: 'string', value: 'QTY', description: 'ResourceQuota: total storage requested by workspaces, e.g. 500Gi' },
      'quota-cpu': { type: 'string', value: 'QTY', description: 'ResourceQuota: total CPU requests, e.g. 32' },
      'quota-memory': { type: 'string', value: 'QTY', description: 'ResourceQuota: total memory requests, e.g. 64Gi' },
      'with-vso': { type: 'boolean', description: 'install the Vault Secrets Operator with helm (pinned chart), or print the helm commands when helm is absent' },
      'vault-address': { type: 'string', value: 'URL', description: 'create VaultConnection "terrarium" to this Vault address' },
      'vault-role': { type: 'string', value: 'ROLE', description: 'create VaultAuth "terrarium" (Kubernetes auth method) logging in with this Vault role' },
      'vault-auth-mount': { type: 'string', value: 'PATH', description: 'the Kubernetes auth method\'s mount in Vault (default kubernetes)' },
      'vault-service-account': { type: 'string', value: 'NAME', description: 'the ServiceAccount the VaultAuth logs in as (created; default terrarium-vault)' },
    },
    details: 'Applies, by server-side apply (running it again changes nothing): the namespace (Pod Security "restricted", label\n'
      + 'terrarium.dev/platform=true), the user, admin and controller Roles and bindings, the controller\'s ServiceAccount and\n'
      + 'Deployment, the claim policy (ValidatingAdmissionPolicy terrarium-claims), a default NetworkPolicy, the LimitRange and\n'
      + 'the terrarium-platform ConfigMap; with --quota-* a ResourceQuota, with --vault-address/--vault-role a VaultConnection\n'
      + 'and VaultAuth. Example: terrarium platform install -n devenv -o yaml | kubectl apply -f -\n'
      + 'Example: terrarium platform install -n devenv --with-vso --vault-address https://vault.example:8200 --vault-role terrarium',
    load: async () => (await import('./commands/platform')).platformInstallCommand,
  },
  {
    kind: 'parsed', name: 'platform uninstall', summary: 'Remove what platform install made; environments and workspaces stay',
    options: {
      'users-group': { type: 'string', value: 'GROUP', description: 'as given to install (names its bindings)' },
      'admins-group': { type: 'string', value: 'GROUP', description: 'as given to install' },
      'delete-workspaces': { type: 'boolean', description: 'also delete the namespace\'s workspace volumes (their data is lost)' },
      'vault-service-account': { type: 'string', value: 'NAME', description: 'as given to install (default terrarium-vault)' },
      yes: { type: 'boolean', short: 'y', description: 'confirm --delete-workspaces' },
      'dry-run': { type: 'boolean', description: 'let the API server check every deletion without doing it' },
    },
    details: 'The claim policy is cluster-wide: it is removed only when no other namespace still carries terrarium.dev/platform=true.',
    examples: ['terrarium platform uninstall -n devenv --dry-run'],
    load: async () => (await import('./commands/platform')).platformUninstallCommand,
  },
  {
    kind: 'parsed', name: 'platform status', summary: 'Whether claims are enforced or advisory, and whether the controller runs',
    examples: ['terrarium platform status -n devenv --json'],
    load: async () => (await import('./commands/platform')).platformStatusCommand,
  },
  {
    kind: 'parsed', name: 'image build', summary: 'Build the devenv image (manifests/image) with docker, podman, nerdctl or buildah',
    options: {
      tag: { type: 'string', short: 't', value: 'IMAGE', description: 'image reference to tag (default: this version\'s, the default of new environments)' },
      push: { type: 'boolean', description: 'push the image to its registry after building (log in first)' },
      'kind-load': { type: 'string', value: 'CLUSTER', description: 'load the image into this kind cluster\'s nodes' },
      engine: { type: 'string', value: 'docker|podman|nerdctl|buildah', description: 'the engine to use (default: the first of these present)' },
      base: { type: 'string', value: 'IMAGE', description: 'base image (default: Debian bookworm slim pinned by digest)' },
      'ca-file': { type: 'string', value: 'FILE', description: 'CA bundle to trust while downloading (TLS-inspecting proxy; podman, buildah)' },
      context: { type: 'string', value: 'DIR', description: 'build another image folder than the shipped manifests/image' },
    },
    details: 'Build logs go to stderr. Buildah honours BUILDAH_ISOLATION (e.g. chroot inside a container) and STORAGE_DRIVER.\n'
      + 'Example: terrarium image build --kind-load terrarium   (then environments use it with no --image)',
    load: async () => (await import('./commands/image')).imageBuildCommand,
  },
  {
    kind: 'parsed', name: 'cluster create', summary: 'Create a local kind cluster with the platform and a first Ready sandbox', args: '[NAME]',
    positionals: { min: 0, max: 1, names: 'cluster NAME (default terrarium)' },
    options: {
      provider: { type: 'string', value: 'docker|podman', description: 'where kind runs its node (default: docker if its engine answers, else podman)' },
      env: { type: 'string', value: 'NAME', description: 'the first environment (default dev)' },
      image: { type: 'string', value: 'IMAGE', description: 'its image (default: this version\'s devenv image, built here when missing)' },
      'node-image': { type: 'string', value: 'IMAGE', description: 'kindest/node image, Kubernetes 1.30+ (default: v1.32.0 pinned by digest)' },
      'skip-build': { type: 'boolean', description: 'do not build a missing devenv image; the node pulls it from its registry' },
      timeout: { type: 'string', value: 'SECONDS', description: 'how long to wait for the first sandbox (default 300)' },
    },
    details: 'Runs kind create cluster --name NAME --config <one node> --kubeconfig <--kubeconfig, KUBECONFIG or ~/.kube/config>,\n'
      + 'loads the devenv image into the node (building it first if missing, as terrarium image build does), installs the platform\n'
      + '(as terrarium platform install), creates environment dev and waits for dev-0. Needs kind and docker or podman.\n'
      + 'Example: terrarium cluster create && terrarium ssh dev-0',
    load: async () => (await import('./commands/cluster')).clusterCreateCommand,
  },
  {
    kind: 'parsed', name: 'cluster delete', summary: 'Delete a local kind cluster; its environments and workspaces go with it', args: '[NAME]',
    positionals: { min: 0, max: 1, names: 'cluster NAME (default terrarium)' },
    options: {
      yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' },
      provider: { type: 'string', value: 'docker|podman', description: 'the provider it runs on (default: detected)' },
    },
    details: 'Asks on a terminal; scripts pass --yes (exit 2 without). Example: terrarium cluster delete terrarium --yes',
    load: async () => (await import('./commands/cluster')).clusterDeleteCommand,
  },
  {
    kind: 'parsed', name: 'cluster list', summary: 'List local kind clusters (kind get clusters)',
    options: { provider: { type: 'string', value: 'docker|podman', description: 'the provider to ask (default: detected)' } },
    details: 'Example: terrarium cluster list --json',
    load: async () => (await import('./commands/cluster')).clusterListCommand,
  },
  {
    kind: 'parsed', name: 'cluster start', summary: 'Start a stopped local kind cluster (its node container)', args: '[NAME]',
    positionals: { min: 0, max: 1, names: 'cluster NAME (default terrarium)' },
    options: { provider: { type: 'string', value: 'docker|podman', description: 'the provider it runs on (default: detected)' } },
    details: 'Runs docker start NAME-control-plane (podman\'s with podman). Example: terrarium cluster start',
    load: async () => (await import('./commands/cluster')).clusterStartCommand,
  },
  {
    kind: 'parsed', name: 'cluster stop', summary: 'Stop a local kind cluster; environments and workspaces are kept', args: '[NAME]',
    positionals: { min: 0, max: 1, names: 'cluster NAME (default terrarium)' },
    options: { provider: { type: 'string', value: 'docker|podman', description: 'the provider it runs on (default: detected)' } },
    details: 'Runs docker stop NAME-control-plane (podman\'s with podman). Example: terrarium cluster stop',
    load: async () => (await import('./commands/cluster')).clusterStopCommand,
  },
  {
    kind: 'parsed', name: 'env list', summary: 'List environments with ready/desired sandboxes',
    examples: ['terrarium env list --json'],
    load: async () => (await import('./commands/env')).envListCommand,
  },
  {
    kind: 'parsed', name: 'env create', summary: 'Create an environment (a StatefulSet of sandboxes)', args: 'NAME',
    positionals: { min: 1, max: 1, names: 'environment NAME' },
    options: {
      replicas: { type: 'string', value: 'N', description: 'number of sandboxes (default 1)' },
      image: { type: 'string', value: 'IMAGE', description: 'container image (default: the Terrarium devenv image)' },
      cpu: { type: 'string', value: 'REQ[/LIMIT]', description: 'CPU request and limit, e.g. 500m/2' },
      memory: { type: 'string', value: 'REQ[/LIMIT]', description: 'memory request and limit, e.g. 1Gi/4Gi' },
      storage: { type: 'string', value: 'SIZE', description: 'size of each workspace volume, e.g. 10Gi' },
      'storage-class': { type: 'string', value: 'CLASS', description: 'StorageClass of the workspaces (default: the cluster default)' },
      'egress-allow': { type: 'string', multiple: true, value: 'CIDR', description: 'extra address block sandboxes may reach' },
      'warm-spares': { type: 'string', value: 'N', description: 'keep N ready, unclaimed sandboxes for fast claims (default: none)' },
      'claim-ttl': { type: 'string', value: 'DURATION', description: 'release claims idle this long, keeping the workspace, e.g. 8h (default: never)' },
      'idle-stop-after': { type: 'string', value: 'DURATION', description: 'stop the environment after it is idle this long, e.g. 2d (default: never)' },
      secret: { type: 'string', multiple: true, value: 'NAME[=env|=file]', description: 'give every sandbox this Secret as environment variables (env, default) or files in /run/secrets/NAME' },
      openshift: { type: 'boolean', description: 'render for OpenShift (no fixed uid/fsGroup, DNS in openshift-dns); detected from the namespace when readable' },
      'node-local-dns': { type: 'boolean', description: 'allow DNS to NodeLocal DNSCache (169.254.20.10:53); detected when kube-system is readable' },
      yes: { type: 'boolean', short: 'y', description: 'allow --egress-allow entries that open private, metadata or all addresses' },
      ...WAIT_OPTIONS,
      verbose: { type: 'boolean', short: 'v', description: 'print each object as it is applied' },
    },
    details: 'Creates the namespace if needed (Pod Security "restricted"), then the environment\'s objects by server-side apply.\n'
      + 'Sandboxes reach DNS and public addresses only. An --egress-allow entry that opens private, link-local,\n'
      + 'cloud metadata or all addresses needs confirmation: asked on a terminal, --yes otherwise (exit 2 without).',
    examples: ['terrarium env create web --replicas 2 --cpu 500m/2 --memory 1Gi/4Gi --wait', 'terrarium env create web --image ghcr.io/example/devenv:1.0 --egress-allow 10.0.0.0/8 --yes'],
    load: async () => (await import('./commands/env')).envCreateCommand,
  },
  {
    kind: 'parsed', name: 'env scale', summary: 'Set the number of sandboxes (scaling down keeps workspaces) or warm spares', args: 'NAME [N]',
    positionals: { min: 1, max: 2, names: 'environment NAME and number of sandboxes N' },
    options: {
      warm: { type: 'string', value: 'N', description: 'keep N ready, unclaimed sandboxes (warm spares; 0 turns the pool off)' },
      yes: { type: 'boolean', short: 'y', description: 'scale down even if that stops claimed sandboxes' },
      ...WAIT_OPTIONS,
    },
    details: 'Scaling down stops the highest-numbered sandboxes. If any of them is claimed, the holders are listed and\n'
      + 'confirmation is needed: asked on a terminal, --yes otherwise (exit 2 without, also with --json).',
    examples: ['terrarium env scale sample 3 --wait --timeout 120', 'terrarium env scale sample --warm 1'],
    load: async () => (await import('./commands/env-scale')).envScaleCommand,
  },
  {
    kind: 'parsed', name: 'env stop', summary: 'Scale to 0, remembering the count; workspaces are kept', args: 'NAME',
    positionals: { min: 1, max: 1, names: 'environment NAME' },
    options: { yes: { type: 'boolean', short: 'y', description: 'stop even if sandboxes are claimed' } },
    examples: ['terrarium env stop sample --yes'],
    load: async () => (await import('./commands/env')).envStopCommand,
  },
  {
    kind: 'parsed', name: 'env start', summary: 'Start a stopped environment (as many sandboxes as before)', args: 'NAME',
    positionals: { min: 1, max: 1, names: 'environment NAME' },
    options: { replicas: { type: 'string', value: 'N', description: 'number of sandboxes (default: as before the stop)' }, ...WAIT_OPTIONS },
    examples: ['terrarium env start sample --wait'],
    load: async () => (await import('./commands/env')).envStartCommand,
  },
  {
    kind: 'parsed', name: 'env delete', summary: 'Delete an environment; workspaces are kept unless asked', args: 'NAME',
    positionals: { min: 1, max: 1, names: 'environment NAME' },
    options: {
      'delete-workspaces': { type: 'boolean', description: 'also delete the workspace volumes (their data is lost)' },
      yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' },
    },
    details: 'Without --delete-workspaces the workspace PVCs stay, and an environment created again with the same\n'
      + 'name gets them back. Deleting workspaces asks for confirmation unless --yes is given.',
    examples: ['terrarium env delete web --yes'],
    load: async () => (await import('./commands/env')).envDeleteCommand,
  },
  {
    kind: 'parsed', name: 'env update', summary: 'Change an environment (image, resources, Secrets, egress, pool); sandboxes restart one at a time', args: 'NAME',
    positionals: { min: 1, max: 1, names: 'environment NAME' },
    options: {
      image: { type: 'string', value: 'IMAGE', description: 'new container image' },
      cpu: { type: 'string', value: 'REQ[/LIMIT]', description: 'CPU request and limit, e.g. 500m/2' },
      memory: { type: 'string', value: 'REQ[/LIMIT]', description: 'memory request and limit, e.g. 1Gi/4Gi' },
      secret: { type: 'string', multiple: true, value: 'NAME[=env|=file]', description: 'also give this Secret, as environment variables (default) or files in /run/secrets/NAME' },
      'remove-secret': { type: 'string', multiple: true, value: 'NAME', description: 'stop giving this Secret' },
      openshift: { type: 'boolean', description: 'render for OpenShift (no fixed uid/fsGroup, DNS in openshift-dns); detected from the namespace when readable' },
      'node-local-dns': { type: 'boolean', description: 'allow DNS to NodeLocal DNSCache (169.254.20.10:53); detected when kube-system is readable' },
      'egress-allow': { type: 'string', multiple: true, value: 'CIDR', description: 'replace the egress allow-list (give every entry)' },
      'no-egress-allow': { type: 'boolean', description: 'clear the egress allow-list' },
      'warm-spares': { type: 'string', value: 'N', description: 'ready, unclaimed sandboxes to keep' },
      'claim-ttl': { type: 'string', value: 'DURATION', description: 'release claims idle this long, e.g. 8h' },
      'idle-stop-after': { type: 'string', value: 'DURATION', description: 'stop the environment after it is idle this long, e.g. 2d' },
      yes: { type: 'boolean', short: 'y', description: 'restart claimed sandboxes and allow sensitive --egress-allow entries without asking' },
      ...WAIT_OPTIONS,
    },
    details: 'Server-side apply of the changed spec; what is not mentioned stays (warm spares, claim TTL, idle stop, Secrets).\n'
      + 'Image, resources and Secrets change the pods: the StatefulSet replaces them one at a time, highest number first,\n'
      + 'workspaces kept. Claimed sandboxes that would restart are named first and need confirmation: asked on a terminal,\n'
      + '--yes otherwise (exit 2 without, also with --json). Example: terrarium env update dev --secret agent-keys=file --yes',
    load: async () => (await import('./commands/env-update')).envUpdateCommand,
  },
  {
    kind: 'parsed', name: 'env describe', summary: 'Show an environment\'s whole spec: image, resources, pool, idle stop, Secrets, egress', args: 'NAME',
    positionals: { min: 1, max: 1, names: 'environment NAME' },
    details: 'Example: terrarium env describe dev --json',
    load: async () => (await import('./commands/env-update')).envDescribeCommand,
  },
  {
    kind: 'parsed', name: 'sandbox list', summary: 'List sandboxes (of one environment or all) with their status', args: '[ENV]',
    positionals: { min: 0, max: 1 },
    examples: ['terrarium sandbox list sample --json'],
    load: async () => (await import('./commands/sandbox')).sandboxListCommand,
  },
  {
    kind: 'parsed', name: 'sandbox restart', summary: 'Restart one sandbox (its pod); the workspace stays', args: 'NAME-ORDINAL',
    positionals: { min: 1, max: 1, names: 'sandbox name, e.g. web-0' },
    examples: ['terrarium sandbox restart sample-0'],
    load: async () => (await import('./commands/sandbox')).sandboxRestartCommand,
  },
  {
    kind: 'parsed', name: 'workspace backup', summary: 'Stream a sandbox\'s workspace into a .tar.gz (sha256 alongside)', args: 'SANDBOX',
    positionals: { min: 1, max: 1, names: 'SANDBOX' },
    options: {
      output: { type: 'string', short: 'o', value: 'FILE', description: 'the archive to write, e.g. web-0.tar.gz (FILE.sha256 is written next to it)' },
      snapshot: { type: 'boolean', description: 'take a CSI VolumeSnapshot of the workspace volume instead (needs a VolumeSnapshotClass)' },
      'snapshot-class': { type: 'string', value: 'CLASS', description: 'the VolumeSnapshotClass (default: the cluster\'s default class)' },
    },
    details: 'Runs `tar -czf - .` in /workspace over exec and streams it to FILE (written under a temporary name, renamed\n'
      + 'when complete, mode 0600); the sha256 is printed and written to FILE.sha256. Progress shows on a terminal.',
    examples: ['terrarium workspace backup sample-0 -o sample-0.tar.gz'],
    load: async () => (await import('./commands/workspace')).workspaceBackupCommand,
  },
  {
    kind: 'parsed', name: 'workspace restore', summary: 'Put a workspace backup back into a sandbox (sha256 checked first)', args: 'SANDBOX FILE',
    positionals: { min: 2, max: 2, names: 'SANDBOX and FILE' },
    options: { sha256: { type: 'string', value: 'HEX', description: 'the expected sha256 (default: read from FILE.sha256)' } },
    details: 'Refuses a file whose sha256 differs from the recorded one, and a sandbox claimed by someone else.\n'
      + 'Files in the archive replace those of the same name in /workspace; other files stay.',
    examples: ['terrarium workspace restore sample-0 sample-0.tar.gz'],
    load: async () => (await import('./commands/workspace')).workspaceRestoreCommand,
  },
  {
    kind: 'parsed', name: 'secrets list', summary: 'Vault-synced secrets (Vault Secrets Operator) and their state; no values',
    details: 'States: synced, stale (the operator has not checked it for 2 x its refresh + 30 s), failed, pending, missing (the destination Secret is gone), unknown. '
      + 'With --check, exits with 1 unless every secret is synced (for scripts and agents).',
    options: { check: { type: 'boolean', description: 'exit 1 unless every secret is synced' } },
    examples: ['terrarium secrets list --check'],
    load: async () => (await import('./commands/secrets')).secretsListCommand,
  },
  {
    kind: 'parsed', name: 'secrets resync', summary: 'Ask the operator to read a secret from Vault again now', args: 'KIND/NAME',
    positionals: { min: 1, max: 1, names: 'KIND/NAME, e.g. vaultstaticsecret/app-config (or just NAME when unique)' },
    details: 'Merge-patches an annotation the operator reacts to (not a documented VSO API). For VaultDynamicSecret and VaultPKISecret this issues new credentials, so it needs --yes.',
    options: {
      yes: { type: 'boolean', description: 'confirm a resync that issues new credentials (dynamic and PKI secrets)' },
      wait: { type: 'boolean', description: 'wait until the operator has reconciled it (up to 60 s)' },
    },
    examples: ['terrarium secrets resync vaultstaticsecret/app-config --wait'],
    load: async () => (await import('./commands/secrets')).secretsResyncCommand,
  },
  {
    kind: 'parsed', name: 'tmux ls', summary: 'List the agent sessions (tmux) in a sandbox', args: 'SANDBOX',
    positionals: { min: 1, max: 1, names: 'SANDBOX' },
    examples: ['terrarium tmux ls sample-0'],
    load: async () => (await import('./commands/tmux')).tmuxListCommand,
  },
  {
    kind: 'parsed', name: 'tmux new', summary: 'Start an agent session, optionally running a command', args: 'SANDBOX [NAME] [-- COMMAND...]',
    positionals: { min: 1, max: 1000, names: 'SANDBOX and session NAME' },
    options: {
      preset: { type: 'string', value: 'AGENT', description: 'run an agent: shell, claude, codex, aider or gemini (checked to be installed first)' },
      restart: { type: 'boolean', description: 'run an exited session\'s command again' },
    },
    examples: ['terrarium tmux new sample-0 --preset claude', 'terrarium tmux new sample-0 agent --restart'],
    details: 'The session keeps running when SSH or VS Code disconnects; its output is kept in /workspace/.terrarium/sessions/NAME.log. Example: terrarium tmux new web-0 agent -- claude',
    load: async () => (await import('./commands/tmux')).tmuxNewCommand,
  },
  {
    kind: 'parsed', name: 'tmux send', summary: 'Type text into an agent session (then Enter)', args: 'SANDBOX NAME TEXT...',
    positionals: { min: 3, max: 1000, names: 'SANDBOX, session NAME and TEXT' },
    options: { 'no-enter': { type: 'boolean', description: 'do not press Enter after the text' } },
    examples: ['terrarium tmux send sample-0 agent "run the tests"'],
    load: async () => (await import('./commands/tmux')).tmuxSendCommand,
  },
  {
    kind: 'parsed', name: 'tmux capture', summary: 'Print what an agent session shows (and its scrollback)', args: 'SANDBOX NAME',
    positionals: { min: 2, max: 2, names: 'SANDBOX and session NAME' },
    options: { lines: { type: 'string', value: 'N', description: 'lines of scrollback (default 200)' } },
    examples: ['terrarium tmux capture sample-0 agent --lines 50'],
    load: async () => (await import('./commands/tmux')).tmuxCaptureCommand,
  },
  {
    kind: 'parsed', name: 'tmux kill', summary: 'Stop an agent session', args: 'SANDBOX NAME',
    positionals: { min: 2, max: 2, names: 'SANDBOX and session NAME' },
    examples: ['terrarium tmux kill sample-0 agent'],
    load: async () => (await import('./commands/tmux')).tmuxKillCommand,
  },
  {
    kind: 'parsed', name: 'ssh-config', summary: 'Pin the host keys of your sandboxes and write (and print) the ssh config of an environment', args: 'ENV',
    positionals: { min: 1, max: 1, names: 'environment ENV' },
    options: {
      write: { type: 'boolean', description: 'also add the Include line to your ssh config, so plain "ssh <alias>" works' },
      repin: { type: 'boolean', description: 'accept a host key that changed while the workspace stayed the same (only if you replaced it yourself)' },
      'ssh-config': { type: 'string', value: 'FILE', description: 'the ssh config that gets the Include line (default ~/.ssh/config)' },
      user: { type: 'string', value: 'USER', description: 'read host keys as USER through impersonation (admins; default: TERRARIUM_USER, else yourself)' },
      'control-master': { type: 'boolean', description: 'later connections to a sandbox ride its first (ssh ControlMaster, 60 s after the last; POSIX; sessions on it skip the API server\'s check)' },
    },
    details: 'Hosts are named terrarium.<context>.<namespace>.<sandbox>; "ssh -F <printed standalone file> <alias>" works from any shell.\n'
      + 'Each sandbox has its own host key, kept on its workspace and read over exec, which only its holder may: the sandboxes\n'
      + 'that are Ready and yours are pinned (under terrarium.<context>.<namespace>.<sandbox>.<workspace uid>) and get a Host\n'
      + 'entry; the others are skipped, each with the reason on stderr, and get one when you connect to them.',
    examples: ['terrarium ssh-config sample --write'],
    load: async () => (await import('./commands/ssh')).sshConfigCommand,
  },
  {
    kind: 'parsed', name: 'controller', summary: 'Run the Terrarium controller: per-user sandbox access, secrets scope, audit Events',
    options: {
      id: { type: 'string', value: 'ID', description: 'this replica\'s identity for the Lease and Events (default: POD_NAME, else host-pid)' },
      once: { type: 'boolean', description: 'converge once and exit (for tests and scripts)' },
      'in-cluster': { type: 'boolean', description: 'use the pod\'s ServiceAccount (the Deployment passes it)' },
    },
    details: 'Keeps one Role + RoleBinding terrarium-access-<user> per user with pods/exec, pods/attach and pods/portforward on\n'
      + 'the sandboxes they hold, and terrarium-secrets-read limited to the Vault destination Secrets. Runs until SIGINT/SIGTERM;\n'
      + 'with 2 replicas one leads (Lease terrarium-controller). In a cluster it runs as manifests/controller/deployment.yaml.',
    stopsOnSignal: true,
    examples: ['terrarium controller --once -n devenv'],
    load: async () => (await import('./commands/controller')).controllerCommand,
  },
  {
    kind: 'parsed', name: 'ssh', summary: 'Claim if needed, install your key, and run OpenSSH into a sandbox', args: 'SANDBOX [-- COMMAND...]',
    positionals: { min: 1, max: 1000, names: 'SANDBOX' },
    options: {
      user: { type: 'string', value: 'USER', description: 'act for USER through impersonation (admins; default: TERRARIUM_USER, else yourself as the API server knows you)' },
      'control-master': { type: 'boolean', description: 'later connections to the sandbox ride this one (ssh ControlMaster; see ssh-config --help)' },
    },
    examples: ['terrarium ssh sample-0 -- tmux ls'],
    load: async () => (await import('./commands/ssh')).sshCommand,
  },
  {
    kind: 'parsed', name: 'ssh-proxy', summary: 'SSH ProxyCommand: stdio to a sandbox\'s sshd over the Kubernetes API',
    options: {
      'target-dir': { type: 'string', value: 'DIR', description: 'the folder of target files written by ssh-config (with --target)' },
      target: { type: 'string', value: 'ID', description: 'the target file naming kubeconfig, context, namespace, pod and port' },
      pod: { type: 'string', value: 'POD', description: 'the sandbox pod, instead of --target (with -n NS)' },
      port: { type: 'string', value: 'PORT', description: 'sshd\'s port in the pod, with --pod (default 2222)' },
    },
    details: 'Run by OpenSSH on every connect (the ssh config from terrarium ssh-config names it): stdin and stdout are the\n'
      + 'SSH stream, so errors go to stderr only (also with --json). Stopped environments are explained, never started.',
    examples: ['terrarium ssh-proxy -n devenv --pod sample-0 --port 2222'],
    stdoutIsData: true,
    load: async () => (await import('./commands/ssh-proxy')).sshProxyHandler,
  },
  {
    kind: 'parsed', name: 'forward', summary: 'Forward a local 127.0.0.1 port to a sandbox (reconnects)', args: 'SANDBOX',
    positionals: { min: 1, max: 1, names: 'SANDBOX, e.g. dev-0' },
    options: {
      'local-port': { type: 'string', value: 'N', description: 'local port on 127.0.0.1 (default: a free one, printed)' },
      port: { type: 'string', value: 'PORT', description: 'port in the sandbox (default 2222, its sshd)' },
    },
    details: 'Runs until Ctrl-C, reconnecting across pod restarts. With --json, one JSON line per state change.',
    examples: ['terrarium forward sample-0 --local-port 2222 --port 2222'],
    stopsOnSignal: true,
    load: async () => (await import('./commands/ssh-forward')).forwardHandler,
  },
  {
    kind: 'parsed', name: 'open', summary: 'Open a sandbox\'s workspace in VS Code in your browser (--browser)', args: 'SANDBOX',
    positionals: { min: 1, max: 1, names: 'SANDBOX, e.g. dev-0' },
    options: {
      browser: { type: 'boolean', description: 'start a VS Code server in the sandbox and open it in the default browser ($BROWSER, else xdg-open/open)' },
      'install-server': { type: 'string', value: 'FILE', description: 'first copy this code-server or openvscode-server Linux release (.tar.gz) into the workspace' },
      idle: { type: 'string', value: 'MINUTES', description: 'stop after this long without a browser tab (default 5; 0: never)' },
      'local-port': { type: 'string', value: 'N', description: 'local port on 127.0.0.1 (default: a free one)' },
      'no-open': { type: 'boolean', description: 'do not start a browser; print the address with its token instead' },
    },
    details: 'The server runs as the sandbox\'s user, bound to 127.0.0.1 in the pod, with a new random connection token each time\n'
      + '(passed on stdin, kept in a 0600 file); it is reached through a port-forward on 127.0.0.1 here. Runs until Ctrl-C or idle,\n'
      + 'then stops the server. The devenv image has no server: install one once with --install-server (sandboxes need no egress).',
    examples: ['terrarium open sample-0 --browser', 'terrarium open sample-0 --browser --install-server code-server-4.139.1-linux-amd64.tar.gz'],
    stopsOnSignal: true,
    load: async () => (await import('./commands/open')).openCommand,
  },
  {
    kind: 'parsed', name: 'sandbox claim', summary: 'Claim a Ready sandbox of an environment as yourself (--user U: act for U, admins)', args: 'ENV',
    positionals: { min: 1, max: 1, names: 'environment ENV, e.g. dev' },
    options: {
      user: { type: 'string', value: 'USER', description: 'act for USER through impersonation (admins; default: TERRARIUM_USER, else yourself)' },
      sandbox: { type: 'string', value: 'NAME', description: 'claim this sandbox (default: the first Ready, unclaimed one)' },
      'scale-up': { type: 'boolean', description: 'add a sandbox when none is free' },
      'public-key': { type: 'string', value: 'FILE', description: 'install this public key (default: Terrarium\'s own key, created if missing)' },
      'no-key': { type: 'boolean', description: 'install no key' },
      wait: { type: 'string', value: 'SECONDS', description: 'wait up to SECONDS for a sandbox to be Ready (default: do not wait)' },
    },
    details: 'The claim is yours as the API server knows you; the controller then grants you exec and port-forward on it.',
    examples: ['terrarium sandbox claim sample', 'terrarium sandbox claim sample --scale-up --wait 120 --json'],
    load: async () => (await import('./commands/sandbox-claim')).sandboxClaimHandler,
  },
  {
    kind: 'parsed', name: 'sandbox release', summary: 'Release a sandbox: its workspace is recycled (--keep keeps it, --backup FILE saves it first)', args: 'SANDBOX',
    positionals: { min: 1, max: 1, names: 'SANDBOX, e.g. dev-0' },
    options: {
      keep: { type: 'boolean', description: 'keep the workspace (default: delete it; the sandbox restarts with a fresh one)' },
      backup: { type: 'string', value: 'FILE', description: 'save the workspace to FILE (.tar.gz, sha256 alongside) before releasing' },
      force: { type: 'boolean', description: 'release someone else\'s claim (admins; the claim policy decides)' },
      user: { type: 'string', value: 'USER', description: 'act for USER through impersonation (admins; default: TERRARIUM_USER, else yourself)' },
      'public-key': { type: 'string', value: 'FILE', description: 'ignored (release removes every key)' },
      'no-key': { type: 'boolean', description: 'ignored (release removes every key)' },
    },
    examples: ['terrarium sandbox release sample-0 --backup sample-0.tar.gz', 'terrarium sandbox release sample-0 --keep'],
    load: async () => (await import('./commands/sandbox-claim')).sandboxReleaseHandler,
  },  {
    kind: 'parsed', name: 'job run', summary: 'Run a command in a disposable Job sandbox; streams its output and exits with its exit code', args: '-- COMMAND...',
    positionals: { min: 1, max: 1000, names: 'the COMMAND after --' },
    options: { ...JOB_OPTIONS, 'cp-in': { type: 'string', multiple: true, value: 'LOCAL:REMOTE', description: 'copy a file or directory in before the command starts (sha256 checked)' } },
    details: 'The Job (restartPolicy Never, backoffLimit 0, no ServiceAccount token, Pod Security "restricted") runs COMMAND as given (no shell)\n'
      + 'in /workspace. Exit codes: the command\'s own; 124 timeout (DeadlineExceeded), 125 image cannot be pulled (the Job is deleted),\n'
      + '127 command not found, 137 killed over its memory limit (OOMKilled), 130 Ctrl-C (the Job and its pod are deleted).\n'
      + 'The finished Job stays --ttl seconds (job logs, job list), then the cluster removes it.',
    examples: ['terrarium job run --image busybox -- echo hello', 'terrarium job run --image busybox --timeout 5m --env CI=1 --cp-in ./README.md:README.md -- wc -l README.md'],
    load: async () => (await import('./commands/job')).jobRunCommand,
  },
  {
    kind: 'parsed', name: 'job start', summary: 'Start a Job sandbox that waits for commands (job exec, job cp); prints its name',
    options: JOB_OPTIONS,
    details: 'It runs until job rm or its --timeout (default 30m).',
    examples: ['terrarium job start --image busybox --name job-tests --timeout 1h'],
    load: async () => (await import('./commands/job')).jobStartCommand,
  },
  {
    kind: 'parsed', name: 'job exec', summary: 'Run a command in a started Job sandbox (no shell); exits with its exit code', args: 'JOB -- COMMAND...',
    positionals: { min: 2, max: 1000, names: 'JOB and the COMMAND after --' },
    details: 'Piped stdin is passed to the command.',
    examples: ['terrarium job exec job-tests -- ls -la /workspace', 'terrarium job exec job-tests -- sh -c "echo hi > note.txt"'],
    load: async () => (await import('./commands/job')).jobExecCommand,
  },
  {
    kind: 'parsed', name: 'job cp', summary: 'Copy a file or directory into or out of a started Job sandbox (sha256 checked)', args: 'SRC DST',
    positionals: { min: 2, max: 2, names: 'SRC and DST (one of them JOB:PATH)' },
    details: 'Paths in the sandbox are absolute or relative to /workspace; /workspace and /tmp are writable.',
    examples: ['terrarium job cp ./README.md job-tests:README.md', 'terrarium job cp job-tests:README.md ./copy.md'],
    load: async () => (await import('./commands/job')).jobCpCommand,
  },
  {
    kind: 'parsed', name: 'job logs', summary: 'Print a Job sandbox\'s output', args: 'JOB',
    positionals: { min: 1, max: 1, names: 'JOB' },
    options: { follow: { type: 'boolean', short: 'f', description: 'keep printing until the command ends' } },
    examples: ['terrarium job logs job-tests --follow'],
    load: async () => (await import('./commands/job')).jobLogsCommand,
  },
  {
    kind: 'parsed', name: 'job list', summary: 'List your Job sandboxes: running, succeeded, failed with the reason',
    options: { all: { type: 'boolean', description: 'everyone\'s, with who created each' } },
    examples: ['terrarium job list', 'terrarium job list --all --json'],
    load: async () => (await import('./commands/job')).jobListCommand,
  },
  {
    kind: 'parsed', name: 'job rm', summary: 'Delete Job sandboxes and their pods', args: 'JOB...',
    positionals: { min: 1, max: 100, names: 'JOB' },
    examples: ['terrarium job rm job-tests'],
    load: async () => (await import('./commands/job')).jobRmCommand,
  },
];

/** Commands of one group stay together in help: "sandbox claim" next to "sandbox list". */
function grouped(list: AnyCommand[]): AnyCommand[] {
  const order = [...new Set(list.map((c) => c.name.split(' ')[0]!))];
  return order.flatMap((g) => list.filter((c) => c.name.split(' ')[0] === g));
}

export const COMMANDS: AnyCommand[] = grouped(PARSED);

/** First words of multi-word commands: "env", "sandbox". */
export function commandGroups(commands: AnyCommand[] = COMMANDS): string[] {
  return [...new Set(commands.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];
}

/** The command selected by the first words of argv (two words before one), and the remaining argv. */
export function findCommand(argv: string[], commands: AnyCommand[] = COMMANDS): { command: AnyCommand; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = argv.length >= 2 ? commands.find((c) => c.name === two) : undefined;
  if (byTwo) return { command: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { command: byOne, rest: argv.slice(1) } : undefined;
}
