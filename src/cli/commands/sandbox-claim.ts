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
import { defaultIo, parse, reportError, usageError, clusterFrom, actingFor, type CommandIo } from './ssh-common';

export const CLAIM_USAGE = 'terrarium sandbox claim ENV [--user U] [--sandbox NAME] [--scale-up] [--public-key FILE | --no-key] [--wait SECONDS]';
export const RELEASE_USAGE = 'terrarium sandbox release SANDBOX [--keep] [--backup FILE] [--force] [--user U]';

/** The user's public key: --public-key FILE, else Terrarium's own user key (created if missing). */
async function publicKeyFrom(file: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (file) return (await readFile(file, 'utf8')).trim();
  const { userPublicKey } = await import('./ssh-keys');
  return userPublicKey(env);
}

export async function sandboxClaimCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  try {
    const { values, positionals } = parse(argv, {
      user: { type: 'string' }, sandbox: { type: 'string' }, 'scale-up': { type: 'boolean' },
      'public-key': { type: 'string' }, 'no-key': { type: 'boolean' }, wait: { type: 'string' },
    });
    if (values.help) { io.stdout.write(`usage: ${CLAIM_USAGE}\n`); return 0; }
    const [environment, ...rest] = positionals;
    if (!environment || rest.length) throw usageError('give exactly one environment, e.g. web.');
    if (values.wait !== undefined && !(/^\d+(\.\d+)?$/.test(values.wait) && Number(values.wait) > 0)) throw usageError(`--wait must be a number of seconds, not ${JSON.stringify(values.wait)}.`);
    const cluster = await clusterFrom(values, io.env, io.stderr);
    const { claimSandbox, impersonate, restoreWarmSpares } = await import('../../core/devenv/claims');
    const publicKey = values['no-key'] ? undefined : await publicKeyFrom(values['public-key'], io.env);
    const r = await claimSandbox(cluster, {
      environment, user: actingFor(values.user, io.env), sandbox: values.sandbox, scaleUp: values['scale-up'], publicKey,
      waitReadyMs: values.wait ? Number(values.wait) * 1000 : undefined, restoreWarmPool: false,
    });
    if (r.identityNote) io.stderr.write(`terrarium: note: ${terminalSafe(r.identityNote)}\n`);
    if (values.json) io.stdout.write(terminalSafe(JSON.stringify(r)) + '\n');
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
  } catch (e) {
    return reportError(e, io, CLAIM_USAGE);
  }
}

export async function sandboxReleaseCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  try {
    const { values, positionals } = parse(argv, {
      user: { type: 'string' }, force: { type: 'boolean' }, keep: { type: 'boolean' }, backup: { type: 'string' },
      // Accepted and ignored: release removes every key now.
      'public-key': { type: 'string' }, 'no-key': { type: 'boolean' },
    });
    if (values.help) { io.stdout.write(`usage: ${RELEASE_USAGE}\n`); return 0; }
    const [sandbox, ...rest] = positionals;
    if (!sandbox || rest.length) throw usageError('give exactly one sandbox, e.g. web-0.');
    if (values.backup === '') throw usageError('--backup needs a file name, e.g. --backup web-0.tar.gz.');
    const cluster = await clusterFrom(values, io.env, io.stderr);
    const { releaseSandbox } = await import('../../core/devenv/claims');
    const r = await releaseSandbox(cluster, sandbox, { user: actingFor(values.user, io.env), force: values.force, keep: values.keep, backupFile: values.backup });
    if (r.identityNote) io.stderr.write(`terrarium: note: ${terminalSafe(r.identityNote)}\n`);
    if (values.json) io.stdout.write(terminalSafe(JSON.stringify(r)) + '\n');
    else {
      if (r.backup) io.stdout.write(`Backed up ${sandbox}'s workspace to ${terminalSafe(r.backup.file)} (${r.backup.bytes} bytes, sha256 ${r.backup.sha256}).\n`);
      if (r.action === 'not-claimed') io.stdout.write(`${sandbox} was not claimed; nothing changed.\n`);
      else if (r.action === 'kept') io.stdout.write(`Released ${sandbox} (was ${terminalSafe(r.previousUser ?? '')}); workspace kept, ${r.keysRemoved ? 'every key removed' : 'keys NOT removed'}.\n`);
      else io.stdout.write(`Released ${sandbox} (was ${terminalSafe(r.previousUser ?? '')}); its workspace was deleted and the sandbox restarts with a fresh one.\n`);
    }
    if (r.keyWarning) io.stderr.write(`terrarium: ${terminalSafe(r.keyWarning)}\n`);
    return 0;
  } catch (e) {
    return reportError(e, io, RELEASE_USAGE);
  }
}
