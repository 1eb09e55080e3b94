/** `terrarium ssh-config ENV` and `terrarium ssh SANDBOX [-- CMD...]`: real OpenSSH, pinned host keys. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeSshConfig, prepareConnection } from '../../core/connect/prepare';
import { validateName } from '../../core/devenv/validate';
import { cliStateDir } from '../../core/ssh/keys';
import { defaultControlDir } from '../../core/ssh/controlDir';
import type { ProxyLauncher } from '../../core/ssh/sshconfig';
import { clusterFor } from '../cluster';
import type { CommandContext, CommandHandler } from '../commandTypes';
import { jsonText } from '../output';
import { actingFor } from './ssh-common';

/** ssh's ProxyCommand runs, with this Node, the ProxyCommand bundle next to us (dist/proxy.js), else this very CLI (dist/cli.js). */
export function cliLauncher(controlDir?: string): ProxyLauncher {
  let cli = resolve(process.argv[1] ?? 'dist/cli.js');
  if (cli.endsWith('.ts')) cli = resolve(dirname(cli), '..', '..', 'dist', 'cli.js');
  const proxy = join(dirname(cli), 'proxy.js');
  return { node: process.execPath, cli, ...(existsSync(proxy) ? { proxy } : {}), ...(controlDir !== undefined ? { controlDir } : {}) };
}

/** --control-master: later connections to a sandbox ride the first (ssh ControlMaster, POSIX). */
const controlDirFor = (values: Record<string, unknown>, ctx: CommandContext) =>
  (values['control-master'] ? defaultControlDir(ctx.homeDir ?? ctx.env.HOME ?? homedir()) : undefined);

const stateDir = (ctx: CommandContext) => cliStateDir(ctx.env, ctx.homeDir ?? ctx.env.HOME ?? homedir());

export const sshConfigCommand: CommandHandler = async ({ globals, positionals, values }, ctx) => {
  const environment = positionals[0]!;
  validateName(environment);
  const cluster = clusterFor(globals, ctx);
  // Host keys are read by exec, which only a sandbox's holder may: as the user acted for, if any.
  const user = actingFor(typeof values.user === 'string' ? values.user : undefined, ctx.env);
  const cfg = await writeSshConfig(cluster, environment, {
    stateDir: stateDir(ctx), proxy: cliLauncher(controlDirFor(values, ctx)), repin: !!values.repin, noInclude: !values.write, user,
    sshConfigFile: typeof values['ssh-config'] === 'string' ? values['ssh-config'] : undefined, homeDir: ctx.homeDir, signal: ctx.signal,
  });
  if (globals.json) {
    ctx.stdout.write(jsonText({ environment, file: cfg.file, standalone: cfg.standalone, aliases: cfg.aliases, hostKeys: cfg.hostKeys, include: cfg.include ?? null }));
    return;
  }
  ctx.stdout.write(readFileSync(cfg.file, 'utf8'));
  const first = Object.values(cfg.aliases)[0];
  ctx.stderr.write('\n');
  // Sandbox names are ENV-<ordinal> of the validated ENV; reasons quote the cluster: one line each.
  for (const h of cfg.hostKeys) {
    ctx.stderr.write('skipped' in h
      ? `# ${h.sandbox}: skipped, no Host entry: ${h.skipped.replace(/[\r\n]+/g, ' ')}\n`
      : `# ${h.sandbox}: host key ${h.pinned === 'unchanged' ? 'verified' : h.pinned === 'added' ? 'pinned' : 're-pinned'} as ${h.alias}${h.legacy ? ' (the environment\'s key: its image predates per-sandbox keys)' : ''}\n`);
  }
  ctx.stderr.write(`# Written to ${cfg.file}.\n# Use from any shell: ssh -F ${cfg.standalone} ${first ?? '<alias>'}\n`);
  if (cfg.include?.installed) ctx.stderr.write(`# ${cfg.include.file} includes it${cfg.include.changed ? ' now' : ''}: plain "ssh ${first ?? '<alias>'}" works too.\n`);
  else if (cfg.include) ctx.stderr.write(`# ${cfg.include.reason}\n`);
};

export const sshCommand: CommandHandler = async ({ globals, positionals, values }, ctx) => {
  const [sandbox, ...command] = positionals;
  const cluster = clusterFor(globals, ctx);
  // --user / TERRARIUM_USER: act for that user (impersonation, checked by the API server); else yourself.
  const user = actingFor(typeof values.user === 'string' ? values.user : undefined, ctx.env);
  const prepared = await prepareConnection(cluster, sandbox!, {
    user, stateDir: stateDir(ctx), proxy: cliLauncher(controlDirFor(values, ctx)), noInclude: true, homeDir: ctx.homeDir, signal: ctx.signal,
  });
  if (prepared.claim.identityNote) ctx.stderr.write(`terrarium: note: ${prepared.claim.identityNote}\n`);
  const standalone = join(stateDir(ctx), 'ssh_config');
  const sshBin = ctx.env.TERRARIUM_SSH || 'ssh';
  if (!existsSync(standalone)) throw new Error(`ssh config ${standalone} was not written`);
  const args = ['-F', standalone, ...(command.length ? [] : ['-t']), prepared.alias, ...command];
  return new Promise<number>((done) => {
    const child = spawn(sshBin, args, { stdio: 'inherit' });
    const onAbort = () => child.kill('SIGTERM');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      ctx.stderr.write(`terrarium: could not run ${sshBin}: ${e.message}\n  Install the OpenSSH client (ssh) and try again.\n`);
      done(1);
    });
    child.on('exit', (code, sig) => { ctx.signal.removeEventListener('abort', onAbort); done(code ?? (sig ? 130 : 1)); });
  });
};
