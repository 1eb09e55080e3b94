/**
 * dist/proxy.js: OpenSSH's ProxyCommand, as the generated ssh config writes it:
 *   node dist/proxy.js --target-dir DIR --target ID
 * The same connection as `terrarium ssh-proxy --target-dir DIR --target ID` (src/proxy/run.ts for
 * both), but its own small bundle: ssh starts it on every connect, and Node parsing the whole CLI
 * (client-node's API clients and models included) was most of a connect's time. Its stdout is the
 * SSH stream; messages go to stderr, and every connection gets its audit record, as in the CLI.
 */
import { UsageError } from '../cli/args';
import { cliAuditor, takeAuditFlag } from '../cli/audit';
import { reportFailure } from '../cli/report';
import { installAuditor, settleAudits } from '../core/audit/auditor';
import { readTarget } from '../core/ssh/targets';
import { runProxy, type ProxyIo } from './run';

const USAGE = 'node proxy.js --target-dir DIR --target ID  (or: terrarium ssh-proxy --help)';

/** `--target-dir DIR --target ID` (also as --name=value), nothing else. */
export function parseProxyArgs(argv: string[]): { dir: string; id: string } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = /^(--target-dir|--target)=(.*)$/s.exec(a);
    const [name, value] = eq ? [eq[1]!, eq[2]!] : [a, argv[++i]];
    if (name !== '--target-dir' && name !== '--target') throw new UsageError(`unexpected argument ${JSON.stringify(a.slice(0, 80))}.`, USAGE);
    if (value === undefined) throw new UsageError(`${name} needs a value.`, USAGE);
    if (values.has(name)) throw new UsageError(`${name} is given twice.`, USAGE);
    values.set(name, value);
  }
  const dir = values.get('--target-dir'), id = values.get('--target');
  if (!dir || !id) throw new UsageError('--target-dir and --target are both required.', USAGE);
  return { dir, id };
}

/** One ProxyCommand run: the target file, then the stream. Never throws; resolves with the exit code. */
export async function proxyMain(argv: string[], io: ProxyIo): Promise<number> {
  const { argv: args, toStderr } = takeAuditFlag(argv);
  const restore = installAuditor(cliAuditor({ env: io.env, homeDir: io.homeDir, stderr: io.stderr, toStderr }));
  try {
    const { dir, id } = parseProxyArgs(args);
    const t = readTarget(dir, id);
    return await runProxy({ kubeconfig: t.kubeconfig, context: t.context, namespace: t.namespace, pod: t.pod, port: t.port, actAs: t.actAs }, io);
  } catch (e) {
    return reportFailure(e, { stdout: io.stdout, stderr: io.stderr, env: io.env });
  } finally {
    // stdout is flushed by now (runStdioProxy waits); let go of stdin so the process can exit.
    io.stdin.destroy();
    await settleAudits();
    restore();
  }
}

if (require.main === module) {
  void proxyMain(process.argv.slice(2), { stdin: process.stdin, stdinOwned: true, stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
    process.exitCode = code;
    // Exit even if a keep-alive connection (the audit's identity lookup) would hold the loop open.
    process.stderr.write('', () => process.exit(code));
  });
}
