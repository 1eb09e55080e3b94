/** `terrarium tmux ls|new|send|capture|kill SANDBOX ...`: agent sessions for scripts and agents. */
import { execRunner } from '../../core/kube/exec';
import { SANDBOX_CONTAINER } from '../../core/devenv/names';
import { validateSandboxName } from '../../core/devenv/validate';
import { attachArgv, stateText, TmuxSessions } from '../../core/tmux/sessions';
import { commandExists, findPreset, installArgv, presetArgv } from '../../core/agents/presets';
import { terminalSafe } from '../../core/text/terminalSafe';
import { TerrariumError } from '../../core/kube/errors';
import { clusterFor } from '../cluster';
import type { CommandContext, CommandHandler, CommandInput } from '../commandTypes';
import { formatAge, formatTable, jsonText } from '../output';

function sessionsFor({ globals, positionals }: CommandInput, ctx: CommandContext) {
  const sandbox = positionals[0]!;
  validateSandboxName(sandbox);
  const cluster = clusterFor(globals, ctx);
  const run = execRunner(cluster, SANDBOX_CONTAINER);
  const exec: typeof run = (pod, argv, o) => run(pod, argv, { signal: ctx.signal, ...o });
  return { sandbox, exec, tmux: new TmuxSessions(exec, sandbox, cluster) };
}

export const tmuxListCommand: CommandHandler = async (input, ctx) => {
  const { tmux, sandbox } = sessionsFor(input, ctx);
  const sessions = await tmux.list();
  if (input.globals.json) {
    ctx.stdout.write(jsonText({ sandbox, sessions: sessions.map((s) => ({ ...s, created: s.created.toISOString(), lastActivity: s.lastActivity.toISOString(), log: tmux.logPath(s.name) })) }));
    return;
  }
  if (!sessions.length) { ctx.stdout.write(`No agent sessions in ${sandbox}. Start one with: terrarium tmux new ${sandbox} NAME [-- COMMAND...]\n`); return; }
  const now = ctx.now();
  // Names, commands and pane text come from the sandbox: shown inert (terminalSafe), never as escapes.
  ctx.stdout.write(formatTable(['SESSION', 'STATE', 'COMMAND', 'ATTACHED', 'CREATED', 'IDLE', 'LAST OUTPUT'], sessions.map((s) => [
    terminalSafe(s.name), stateText(s), terminalSafe(s.command ?? ''), String(s.attached), formatAge(s.created.toISOString(), now),
    s.idleSeconds !== undefined ? formatAge(new Date(now.getTime() - s.idleSeconds * 1000).toISOString(), now) : formatAge(s.lastActivity.toISOString(), now),
    terminalSafe((s.lastLine ?? '').slice(0, 60)),
  ])));
};

export const tmuxNewCommand: CommandHandler = async (input, ctx) => {
  const { tmux, sandbox, exec } = sessionsFor(input, ctx);
  const presetId = input.values.preset as string | undefined;
  const preset = presetId ? findPreset(presetId) : undefined;
  const [, given, ...rest] = input.positionals;
  const name = given ?? preset?.session;
  if (!name) throw new TerrariumError('InvalidInput', 'Name the session.', `e.g. terrarium tmux new ${sandbox} agent -- claude, or terrarium tmux new ${sandbox} --preset claude`);
  if (preset && rest.length) throw new TerrariumError('InvalidInput', '--preset and a command after -- do not go together.', 'Use one or the other.');
  const attach = `Attach: terrarium ssh ${sandbox} -- -t ${attachArgv(name).join(' ')}\n`;
  if (input.values.restart) {
    await tmux.restart(name);
    if (input.globals.json) { ctx.stdout.write(jsonText({ sandbox, session: name, restarted: true })); return; }
    ctx.stdout.write(`Restarted agent session "${name}" in ${sandbox}.\n${attach}`);
    return;
  }
  const command = preset ? presetArgv(preset) : rest.length ? rest : undefined;
  // A preset's program must be there: tmux would start it and the pane would die at once (127).
  if (preset?.command.length && !(await commandExists(exec, sandbox, preset.command[0]!, ctx.signal))) {
    const install = installArgv(preset);
    throw new TerrariumError('NotFound', `${preset.label} (${preset.command[0]}) is not installed in ${sandbox}.`,
      install ? `Install it into the workspace: terrarium ssh ${sandbox} -- ${install.join(' ')}` : `Install ${preset.command[0]} in the sandbox's image or workspace.`);
  }
  await tmux.create(name, { command, cwd: '/workspace' });
  // A command that ends at once is not "Started": say how it ended.
  const now = await tmux.get(name).catch(() => undefined);
  const exited = now?.state === 'exited';
  if (input.globals.json) { ctx.stdout.write(jsonText({ sandbox, session: name, created: true, state: now?.state, exitCode: now?.exitCode, log: tmux.logPath(name) })); return; }
  if (exited) {
    ctx.stdout.write(`Agent session "${name}" in ${sandbox} started and ${stateText(now!)}${now!.lastLine ? `: ${terminalSafe(now!.lastLine)}` : ''}.\n`
      + `Its output: terrarium tmux capture ${sandbox} ${name}; run it again: terrarium tmux new ${sandbox} ${name} --restart\n`);
    return 1;
  }
  ctx.stdout.write(`Started agent session "${name}" in ${sandbox}. It keeps running when you disconnect.\n`
    + (tmux.logPath(name) ? `Output is kept in ${tmux.logPath(name)} in the sandbox.\n` : '') + attach);
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
