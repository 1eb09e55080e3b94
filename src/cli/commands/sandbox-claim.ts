/**
 * `terrarium sandbox claim ENV [--user U] [--sandbox NAME] [--scale-up] [--public-key FILE]` and
 * `terrarium sandbox release SANDBOX [--user U] [--force] [--public-key FILE]`.
 */
import { readFile } from 'node:fs/promises';
import { terminalSafe } from '../../core/text/terminalSafe';
import { defaultIo, parse, reportError, usageError, clusterFrom, defaultUser, type CommandIo } from './ssh-common';

export const CLAIM_USAGE = 'terrarium sandbox claim ENV [--user U] [--sandbox NAME] [--scale-up] [--public-key FILE]';
export const RELEASE_USAGE = 'terrarium sandbox release SANDBOX [--user U] [--force] [--public-key FILE]';

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
    const cluster = await clusterFrom(values, io.env, io.stderr);
    const { claimSandbox } = await import('../../core/devenv/claims');
    const user = values.user ?? await defaultUser(io.env);
    const publicKey = values['no-key'] ? undefined : await publicKeyFrom(values['public-key'], io.env);
    const r = await claimSandbox(cluster, {
      environment, user, sandbox: values.sandbox, scaleUp: values['scale-up'], publicKey,
      waitReadyMs: values.wait ? Number(values.wait) * 1000 : undefined,
    });
    if (values.json) io.stdout.write(terminalSafe(JSON.stringify(r)) + '\n');
    else {
      io.stdout.write(`${r.sandbox} ${r.existing ? 'is already yours' : 'is now yours'} (${user}${r.scaledUp ? ', scaled up' : ''}${r.keyInstalled ? ', key installed' : ''}).\n`);
      io.stdout.write(`Connect with: terrarium ssh ${r.sandbox}\n`);
    }
    return 0;
  } catch (e) {
    return reportError(e, io, CLAIM_USAGE);
  }
}

export async function sandboxReleaseCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  try {
    const { values, positionals } = parse(argv, {
      user: { type: 'string' }, force: { type: 'boolean' }, 'public-key': { type: 'string' }, 'no-key': { type: 'boolean' },
    });
    if (values.help) { io.stdout.write(`usage: ${RELEASE_USAGE}\n`); return 0; }
    const [sandbox, ...rest] = positionals;
    if (!sandbox || rest.length) throw usageError('give exactly one sandbox, e.g. web-0.');
    const cluster = await clusterFrom(values, io.env, io.stderr);
    const { releaseSandbox } = await import('../../core/devenv/claims');
    const user = values.user ?? await defaultUser(io.env);
    const publicKey = values['no-key'] ? undefined : await publicKeyFrom(values['public-key'], io.env).catch(() => undefined);
    const r = await releaseSandbox(cluster, sandbox, { user, force: values.force, publicKey });
    if (values.json) io.stdout.write(terminalSafe(JSON.stringify(r)) + '\n');
    else if (!r.previousUser) io.stdout.write(`${sandbox} was not claimed.\n`);
    else io.stdout.write(`Released ${sandbox} (was ${terminalSafe(r.previousUser)})${r.keyRemoved ? '; your key was removed' : ''}.\n`);
    if (r.keyWarning) io.stderr.write(`terrarium: ${r.keyWarning}\n`);
    return 0;
  } catch (e) {
    return reportError(e, io, RELEASE_USAGE);
  }
}
