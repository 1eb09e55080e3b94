/** `terrarium tmux ls|new|send|capture|kill SANDBOX ...`: agent sessions for scripts and agents. */
import { execRunner } from '../../core/kube/exec';
import { SANDBOX_CONTAINER } from '../../core/devenv/names';
import { validateSandboxName } from '../../core/devenv/validate';
import { attachArgv, TmuxSessions } from '../../core/tmux/sessions';
import { clusterFor } from '../cluster';
import type { CommandContext, CommandHandler, CommandInput } from '../commandTypes';
import { formatAge, formatTable, jsonText } from '../output';

function sessionsFor({ globals, positionals }: CommandInput, ctx: CommandContext): { tmux: TmuxSessions; sandbox: string } {
  const sandbox = positionals[0]!;
  validateSandboxName(sandbox);
  const cluster = clusterFor(globals, ctx);
  const run = execRunner(cluster, SANDBOX_CONTAINER);
  return { sandbox, tmux: new TmuxSessions((pod, argv, o) => run(pod, argv, { signal: ctx.signal, ...o }), sandbox, cluster) };
}

export const tmuxListCommand: CommandHandler = async (input, ctx) => {
  const { tmux, sandbox } = sessionsFor(input, ctx);
  const sessions = await tmux.list();
  if (input.globals.json) {
    ctx.stdout.write(jsonText({ sandbox, sessions: sessions.map((s) => ({ ...s, created: s.created.toISOString(), lastActivity: s.lastActivity.toISOString() })) }));
    return;
  }
  if (!sessions.length) { ctx.stdout.write(`No agent sessions in ${sandbox}. Start one with: terrarium tmux new ${sandbox} NAME [-- COMMAND...]\n`); return; }
  const now = ctx.now();
  ctx.stdout.write(formatTable(['SESSION', 'COMMAND', 'WINDOWS', 'ATTACHED', 'CREATED', 'IDLE'], sessions.map((s) => [
    s.name, s.command ?? '', String(s.windows), String(s.attached), formatAge(s.created.toISOString(), now), formatAge(s.lastActivity.toISOString(), now),
  ])));
};

export const tmuxNewCommand: CommandHandler = async (input, ctx) => {
  const { tmux, sandbox } = sessionsFor(input, ctx);
  const [, name, ...command] = input.positionals;
  await tmux.create(name!, { command: command.length ? command : undefined, cwd: '/workspace' });
  if (input.globals.json) { ctx.stdout.write(jsonText({ sandbox, session: name, created: true })); return; }
  ctx.stdout.write(`Started agent session "${name}" in ${sandbox}. It keeps running when you disconnect.\n`
    + `Attach: terrarium ssh ${sandbox} -- -t ${attachArgv(name!).join(' ')}\n`);
};

export const tmuxSendCommand: CommandHandler = async (input, ctx) => {
  const { tmux } = sessionsFor(input, ctx);
  const [, name, ...words] = input.positionals;
  await tmux.send(name!, words.join(' '), !input.values['no-enter']);
};

export const tmuxCaptureCommand: CommandHandler = async (input, ctx) => {
  const { tmux, sandbox } = sessionsFor(input, ctx);
  const name = input.positionals[1]!;
  const lines = input.values.lines === undefined ? 200 : Number(input.values.lines);
  const text = await tmux.capture(name, Number.isInteger(lines) && lines >= 0 ? lines : 200);
  if (input.globals.json) { ctx.stdout.write(jsonText({ sandbox, session: name, output: text })); return; }
  ctx.stdout.write(text);
};

export const tmuxKillCommand: CommandHandler = async (input, ctx) => {
  const { tmux, sandbox } = sessionsFor(input, ctx);
  await tmux.kill(input.positionals[1]!);
  if (!input.globals.json) ctx.stdout.write(`Stopped agent session "${input.positionals[1]}" in ${sandbox}.\n`);
};
