/**
 * `terrarium sandbox claim ENV [--user U] [--sandbox NAME] [--scale-up] [--public-key FILE]` and
 * `terrarium sandbox release SANDBOX [--user U] [--force] [--keep] [--backup FILE]`.
 *
 * You claim as the user the API server authenticated. `--user U` (or TERRARIUM_USER) acts for U
 * through impersonation, which the API server allows only to those with the `impersonate` permission.
 * Warm pool: after the claim is printed, the CLI restores the environment's warm spares (one scale
 * write, only when no Terrarium controller runs) before it exits; that never delays the result and
 * a failure is only a note on stderr.
 */
import { readFile } from 'node:fs/promises';
import { terminalSafe } from '../../core/text/terminalSafe';
import type { CommandHandler } from '../commandTypes';
import { usageError, clusterFrom, actingFor, type CommandIo } from './ssh-common';

type Values = Record<string, string | boolean | string[] | undefined>;
const str = (v: Values, k: string) => (typeof v[k] === 'string' ? v[k] as string : undefined);

/** The user's public key: --public-key FILE, else Terrarium's own user key (created if missing). */
async function publicKeyFrom(file: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (file) return (await readFile(file, 'utf8')).trim();
  const { userPublicKey } = await import('./ssh-keys');
  return userPublicKey(env);
}

export const sandboxClaimHandler: CommandHandler = async ({ globals, values, positionals, usage }, io) => {
  {
    const environment = positionals[0]!;
    const wait = str(values, 'wait');
    if (wait !== undefined && !(/^\d+(\.\d+)?$/.test(wait) && Number(wait) > 0)) throw usageError(`--wait must be a number of seconds, not ${JSON.stringify(wait)}.`, usage);
    const cluster = await clusterFrom(globals, io.env, io.stderr);
    const { claimSandbox, impersonate, restoreWarmSpares } = await import('../../core/devenv/claims');
    const publicKey = values['no-key'] ? undefined : await publicKeyFrom(str(values, 'public-key'), io.env);
    const r = await claimSandbox(cluster, {
      environment, user: actingFor(str(values, 'user'), io.env), sandbox: str(values, 'sandbox'), scaleUp: values['scale-up'] === true, publicKey,
      waitReadyMs: wait ? Number(wait) * 1000 : undefined, restoreWarmPool: false,
    });
    if (r.identityNote) io.stderr.write(`terrarium: note: ${terminalSafe(r.identityNote)}\n`);
    if (globals.json) io.stdout.write(terminalSafe(JSON.stringify(r)) + '\n');
    else {
      const who = terminalSafe(r.user);
      const extras = [r.scaledUp && 'scaled up', r.keyInstalled && (r.keysReplaced ? 'key installed, replacing any others' : 'key installed')].filter(Boolean);
      io.stdout.write(`${r.sandbox} ${r.existing ? 'is already yours' : 'is now yours'} (${who}${extras.length ? `; ${extras.join(', ')}` : ''}).\n`);
      io.stdout.write(`Connect with: terrarium ssh ${r.sandbox}\n`);
    }
    if (r.actingFor) io.stderr.write(`terrarium: acted for ${terminalSafe(r.actingFor)} (impersonation).\n`);
    if (!r.existing) {
      // After the result: the user already has their sandbox; this keeps the next one warm.
      const acting = r.actingFor ? impersonate(cluster, r.actingFor) : cluster;
      const w = await restoreWarmSpares(acting, r.environment).catch((e: unknown) => ({ action: 'skipped' as const, reason: e instanceof Error ? e.message : String(e), from: undefined, to: undefined }));
      if (w.action === 'scaled') io.stderr.write(`terrarium: warm pool: scaled ${r.environment} from ${w.from} to ${w.to} sandboxes to keep its spares.\n`);
      else if (w.action === 'skipped') io.stderr.write(`terrarium: note: the warm pool was not restored: ${terminalSafe(w.reason ?? 'unknown reason')}\n`);
    }
    return 0;
  }
};

export const sandboxReleaseHandler: CommandHandler = async ({ globals, values, positionals, usage }, io) => {
  {
    const sandbox = positionals[0]!;
    if (values.backup === '') throw usageError('--backup needs a file name, e.g. --backup web-0.tar.gz.', usage);
    const cluster = await clusterFrom(globals, io.env, io.stderr);
    const { releaseSandbox } = await import('../../core/devenv/claims');
    const r = await releaseSandbox(cluster, sandbox, { user: actingFor(str(values, 'user'), io.env), force: values.force === true, keep: values.keep === true, backupFile: str(values, 'backup') });
    if (r.identityNote) io.stderr.write(`terrarium: note: ${terminalSafe(r.identityNote)}\n`);
    if (globals.json) io.stdout.write(terminalSafe(JSON.stringify(r)) + '\n');
    else {
      if (r.backup) io.stdout.write(`Backed up ${sandbox}'s workspace to ${terminalSafe(r.backup.file)} (${r.backup.bytes} bytes, sha256 ${r.backup.sha256}).\n`);
      if (r.action === 'not-claimed') io.stdout.write(`${sandbox} was not claimed; nothing changed.\n`);
      else if (r.action === 'kept') io.stdout.write(`Released ${sandbox} (was ${terminalSafe(r.previousUser ?? '')}); workspace kept, ${r.keysRemoved ? 'every key removed' : 'keys NOT removed'}.\n`);
      else io.stdout.write(`Released ${sandbox} (was ${terminalSafe(r.previousUser ?? '')}); its workspace was deleted and the sandbox restarts with a fresh one.\n`);
    }
    if (r.keyWarning) io.stderr.write(`terrarium: ${terminalSafe(r.keyWarning)}\n`);
    return 0;
  }
};

/** `terrarium sandbox claim ARGV` through the CLI's dispatcher (one parser, one error reporter); for tests and scripts. */
export async function sandboxClaimCommand(argv: string[], io: CommandIo): Promise<number> {
  const { run } = await import('../run');
  return run(['sandbox', 'claim', ...argv], io);
}

/** `terrarium sandbox release ARGV` through the CLI's dispatcher; for tests and scripts. */
export async function sandboxReleaseCommand(argv: string[], io: CommandIo): Promise<number> {
  const { run } = await import('../run');
  return run(['sandbox', 'release', ...argv], io);
}
