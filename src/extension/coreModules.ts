/**
 * Everything the extension uses from the core. Exported by dist/cli.js (src/coreBundle.ts), the
 * bundle the CLI runs and the extension loads on first use (core.ts): one copy of client-node.
 */
export * as devenv from '../core/devenv';
export * as claims from '../core/devenv/claims';
export * as watch from '../core/devenv/watch';
export * as keys from '../core/ssh/keys';
export * as connect from '../core/connect/prepare';
export * as tmux from '../core/tmux/sessions';
export * as execTty from '../core/tmux/execTty';
export * as localForward from '../core/tunnel/localForward';
export * as browser from '../core/browser';
export * as exec from '../core/kube/exec';
export * as health from '../core/kube/health';
export * as permissions from '../core/kube/permissions';
export * as identity from '../core/kube/identity';
export * as platform from '../core/platform/status';
export * as platformAdmin from '../core/platform/admin';
export * as list from '../core/kube/list';
export * as kubeconfig from '../core/kube/kubeconfig';
export * as secrets from '../core/secrets/panelController';
export * as restartTargets from '../core/secrets/restartTargets';
export * as envUpdate from '../core/devenv/operations';
export * as jobs from '../core/jobs/jobs';
export * as jobLogs from '../core/jobs/logStream';
