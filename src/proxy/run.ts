/**
 * One ProxyCommand connection, shared by the lean entry (dist/proxy.js, main.ts) and
 * `terrarium ssh-proxy`: kubeconfig discovery and the context's notices as every CLI command does
 * them, acting for the target's user when it names one, then the port-forward stream
 * (core/tunnel/stdioProxy.ts). No client-node API clients: its KubeConfig gives credentials and TLS,
 * and the failure diagnosis reads with plain GETs (core/tunnel/kubeGet.ts).
 */
import type { Readable, Writable } from 'node:stream';
import { discoverKubeconfig, kubeConfigFor, noticesFor } from '../core/kube/kubeconfig';
import { impersonatingKubeConfig } from '../core/kube/impersonation';
import { validateNamespace } from '../core/devenv/validate';
import { validateUser } from '../core/devenv/claims/record';
import { USERS_GROUP } from '../core/devenv/claims/acting';
import { explainingStopped } from '../core/tunnel/diagnose';
import { environmentReader, podReader } from '../core/tunnel/podReader';
import { runStdioProxy } from '../core/tunnel/stdioProxy';
import { reportNotices } from '../cli/cluster';

/** Where to connect: a target file's contents (core/ssh/targets.ts) or `ssh-proxy`'s explicit flags. */
export interface ProxySpec {
  /** Kubeconfig path(s) joined by path.delimiter; undefined: KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  /** Default: the kubeconfig's current context. */
  context?: string;
  namespace: string;
  pod: string;
  port: number;
  /** Port-forward acting for this user (impersonation), as `terrarium ssh --user X` wrote it. */
  actAs?: string;
}

export interface ProxyIo {
  stdin: Readable;
  /** stdin is the process's own (its chunks are fresh reads): see StdioProxyOptions.stdinOwned. */
  stdinOwned?: boolean;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  homeDir?: string;
  signal?: AbortSignal;
}

/**
 * Runs the stream until either side closes; resolves with the exit code. Kubeconfig problems are
 * thrown (TerrariumError) for the caller's reporter; stream failures are explained on stderr.
 */
export async function runProxy(spec: ProxySpec, io: ProxyIo): Promise<number> {
  validateNamespace(spec.namespace);
  const discovery = discoverKubeconfig({ explicitPath: spec.kubeconfig, env: io.env, homeDir: io.homeDir });
  let kc = kubeConfigFor(discovery, spec.context);
  const context = kc.getCurrentContext();
  reportNotices(noticesFor(discovery, context), io.stderr, io.env);
  if (spec.actAs !== undefined) kc = impersonatingKubeConfig(kc, context, validateUser(spec.actAs), { group: USERS_GROUP });
  const scope = { kc, context };
  return runStdioProxy({
    kc, context, target: { namespace: spec.namespace, pod: spec.pod, port: spec.port },
    // A missing sandbox of a stopped environment is explained (never started: no silent wake-up).
    readPod: explainingStopped(podReader(scope), environmentReader(scope), { context }),
    stdin: io.stdin, stdinOwned: io.stdinOwned, stdout: io.stdout, stderr: io.stderr, signal: io.signal,
  });
}
