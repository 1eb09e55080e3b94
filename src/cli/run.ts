/**
 * The `terrarium` dispatcher: global options, command lookup in the command table, help, and the
 * mapping of outcomes to exit codes. Everything is injected (streams, env, clock, abort signal) so
 * it runs in-process in tests; src/cli/main.ts wires it to the real process.
 */
import type { Readable, Writable } from 'node:stream';
import { parseCommandArgs, splitLeadingGlobals, UsageError } from './args';
import { COMMANDS, findCommand, usageOf } from './commandTable';
import type { AnyCommand, CommandContext } from './commandTypes';
import { commandHelp, groupHelp, isGroup, mainHelp, suggestCommands } from './help';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, reportFailure } from './report';
import { cliAuditor, takeAuditFlag } from './audit';
import { installAuditor, settleAudits } from '../core/audit/auditor';
import { terminalSafeStream } from './terminalStream';
import { version as packageVersion } from '../../package.json';

export const VERSION: string = packageVersion;
const MAIN_USAGE = 'terrarium [global options] <command> [arguments] [options]';

export interface RunIo {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  homeDir?: string;
  /**
   * Aborts the running command (Ctrl-C). When absent, run() listens for SIGINT/SIGTERM itself
   * while a command of the table runs.
   */
  signal?: AbortSignal;
  commands?: AnyCommand[];
}

/**
 * Runs one CLI invocation and returns its exit code. Never throws. The core operations it runs
 * record audit entries (see core/audit) into the audit log, and with --audit to stderr too.
 */
export async function run(argv: string[], io: RunIo): Promise<number> {
  const { argv: args, toStderr } = takeAuditFlag(argv);
  const restore = installAuditor(cliAuditor({ env: io.env ?? process.env, homeDir: io.homeDir, stderr: io.stderr, toStderr }));
  try {
    return await runCommand(args, io);
  } finally {
    await settleAudits();
    restore();
  }
}

async function runCommand(argv: string[], io: RunIo): Promise<number> {
  const commands = io.commands ?? COMMANDS;
  const env = io.env ?? process.env;
  let json = argv.includes('--json');
  try {
    const lead = splitLeadingGlobals(argv, MAIN_USAGE);
    if (lead.version) { io.stdout.write(json ? JSON.stringify({ version: VERSION }) + '\n' : `terrarium ${VERSION}\n`); return EXIT_OK; }
    if (!lead.rest.length) {
      if (lead.help) { io.stdout.write(mainHelp(commands, VERSION)); return EXIT_OK; }
      io.stderr.write(mainHelp(commands, VERSION));
      return EXIT_USAGE;
    }
    if (lead.rest[0] === 'help') return help(lead.rest.slice(1), io, commands);

    const found = findCommand(lead.rest, commands);
    if (!found) {
      const words = lead.rest.filter((w) => !w.startsWith('-'));
      if (isGroup(words[0], commands)) {
        if (lead.help || lead.rest.includes('--help') || lead.rest.includes('-h')) { io.stdout.write(groupHelp(words[0]!, commands)); return EXIT_OK; }
        const sub = words[1];
        throw new UsageError(sub ? `unknown command "${words[0]} ${sub}".${didYouMean(`${words[0]} ${sub}`, commands)}` : `"${words[0]}" needs a command.`,
          `terrarium ${words[0]} <command>; one of: ${commands.filter((c) => c.name.startsWith(`${words[0]} `)).map((c) => c.name.split(' ')[1]).join(', ')}`);
      }
      const typed = lead.rest[0]!;
      throw new UsageError(`unknown command "${typed}".${didYouMean(typed, commands)}`, MAIN_USAGE);
    }
    const { command, rest } = found;
    const args = [...lead.tokens, ...(lead.help ? ['--help'] : []), ...rest];
    // ssh-proxy's stdout is the SSH stream: its errors go to stderr only, never as JSON on stdout.
    if (command.stdoutIsData) json = false;

    const usage = usageOf(command);
    const parsed = parseCommandArgs(args, command.options ?? {}, usage, command.positionals ?? { min: 0, max: 0 });
    json = parsed.globals.json && !command.stdoutIsData;
    if (parsed.globals.help) { io.stdout.write(commandHelp(command)); return EXIT_OK; }

    const handler = await command.load();
    return await withInterrupt(io.signal, async (signal, interrupted) => {
      const ctx: CommandContext = {
        // Commands print cluster text (claims, status messages): terminal-safe at the edge.
        stdout: command.stdoutIsData ? io.stdout : terminalSafeStream(io.stdout), stderr: terminalSafeStream(io.stderr), env, signal, now: io.now ?? (() => new Date()), homeDir: io.homeDir,
        // Lazy: touching process.stdin opens it, which commands that never read it do not need.
        get stdin() { return io.stdin ?? process.stdin; },
      };
      try {
        const code = (await handler({ ...parsed, usage }, ctx)) ?? EXIT_OK;
        return interrupted() && !command.stopsOnSignal ? reportFailure(undefined, { ...io, env }, { json, interrupted: true }) : code;
      } catch (e) {
        return reportFailure(e, { ...io, env }, { json, interrupted: interrupted() });
      }
    });
  } catch (e) {
    return reportFailure(e, { ...io, env }, { json });
  }
}

function didYouMean(typed: string, commands: AnyCommand[]): string {
  const close = suggestCommands(typed, commands);
  return close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
}

function help(words: string[], io: RunIo, commands: AnyCommand[]): number {
  if (!words.length) { io.stdout.write(mainHelp(commands, VERSION)); return EXIT_OK; }
  const found = findCommand(words, commands);
  if (found) { io.stdout.write(commandHelp(found.command)); return EXIT_OK; }
  if (isGroup(words[0], commands)) { io.stdout.write(groupHelp(words[0]!, commands)); return EXIT_OK; }
  throw new UsageError(`unknown command "${words.join(' ')}".${didYouMean(words.join(' '), commands)}`, 'terrarium help [command]');
}

/**
 * Runs fn with an AbortSignal that Ctrl-C aborts. With an injected signal nothing touches the
 * process. A second Ctrl-C, or a core call that ignores the signal for 3 s, exits at once with 130.
 */
async function withInterrupt<T>(injected: AbortSignal | undefined, fn: (signal: AbortSignal, interrupted: () => boolean) => Promise<T>): Promise<T> {
  if (injected) return fn(injected, () => injected.aborted);
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(EXIT_INTERRUPTED);
    ac.abort();
    setTimeout(() => process.exit(EXIT_INTERRUPTED), 3000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal, () => ac.signal.aborted);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
