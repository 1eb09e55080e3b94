/**
 * The real clients that cross-check kube-sim (and Terrarium): kubectl >= 1.30 (older ones cannot
 * speak the WebSocket exec kube-sim serves) and Debian's python3-kubernetes. Each answers why it
 * cannot run here, or false; the test runner names every skip, and CI fails on any.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { which } from '../bench/which';

// Asked once per test file: each describe/test option calls these at load time.
let kubectlReason: string | false | undefined;
let pythonReason: string | false | undefined;

export function kubectlSkipReason(): string | false {
  return (kubectlReason ??= askKubectl());
}

function askKubectl(): string | false {
  if (!which('kubectl')) return 'kubectl is not installed (scripts/setup.sh says what to install)';
  try {
    const v = JSON.parse(execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 })).clientVersion;
    const minor = Number(String(v.minor).replace(/\D/g, ''));
    return v.major === '1' && minor >= 30 ? false : `kubectl ${v.major}.${v.minor} is older than 1.30 (scripts/setup.sh says what to install)`;
  } catch (e) {
    return `kubectl version --client failed: ${(e as Error).message}`;
  }
}

/** Debian's client lives under /usr/bin/python3 (a pyenv python3 first on PATH does not see it). */
export function pythonSkipReason(): string | false {
  return (pythonReason ??= askPython());
}

function askPython(): string | false {
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 is missing (scripts/setup.sh installs python3-kubernetes)';
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore', timeout: 30_000 });
    return false;
  } catch {
    return 'python3-kubernetes is not installed (scripts/setup.sh installs it)';
  }
}

export interface KubectlResult { code: number; stdout: string; stderr: string }

/** A kubectl bound to one kubeconfig. Async, because kube-sim serves from the test's own process. */
export function kubectlWith(kubeconfig: () => string): (args: string[], input?: string) => Promise<KubectlResult> {
  return (args, input) => new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig(), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}
