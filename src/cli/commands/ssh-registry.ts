/**
 * The connect commands, for the CLI's command table. Each entry imports its module lazily, so
 * `ssh-proxy` (run on every SSH connect) loads nothing it does not use.
 */
export type ConnectCommand = (argv: string[]) => Promise<number>;

export const CONNECT_COMMANDS: Record<string, ConnectCommand> = {
  'ssh-proxy': async (argv) => (await import('./ssh-proxy')).sshProxyCommand(argv),
  forward: async (argv) => (await import('./ssh-forward')).forwardCommand(argv),
  'sandbox claim': async (argv) => (await import('./sandbox-claim')).sandboxClaimCommand(argv),
  'sandbox release': async (argv) => (await import('./sandbox-claim')).sandboxReleaseCommand(argv),
};

/** Finds a connect command for argv ("sandbox claim web" -> 'sandbox claim', rest ["web"]). */
export function matchConnectCommand(argv: string[]): { run: ConnectCommand; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  if (CONNECT_COMMANDS[two]) return { run: CONNECT_COMMANDS[two]!, rest: argv.slice(2) };
  const one = argv[0];
  if (one && CONNECT_COMMANDS[one]) return { run: CONNECT_COMMANDS[one]!, rest: argv.slice(1) };
  return undefined;
}
