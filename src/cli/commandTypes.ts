/**
 * The types of the command table, in their own module: command modules import these, never the
 * table itself, so the table (which loads commands lazily) and the commands form no import cycle.
 */
import type { Readable, Writable } from 'node:stream';
import type { GlobalOptions, OptionSpecs, OptionValues } from './args';

export interface CommandContext {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C; passed into the core. */
  signal: AbortSignal;
  now: () => Date;
  homeDir?: string;
}

export interface CommandInput {
  globals: GlobalOptions;
  values: OptionValues;
  positionals: string[];
  /** "terrarium env scale NAME N", for usage errors found by the handler. */
  usage: string;
}

/** Returns the exit code (0 when it returns nothing). Throws TerrariumError / UsageError for failures. */
export type CommandHandler = (input: CommandInput, ctx: CommandContext) => Promise<number | void>;

export interface CommandEntry {
  kind: 'parsed';
  /** The words that select it: "env create". */
  name: string;
  summary: string;
  /** Positional arguments as shown in usage: "NAME N". */
  args?: string;
  positionals?: { min: number; max: number; names?: string };
  options?: OptionSpecs;
  /** More help, shown by `terrarium <command> --help`. */
  details?: string;
  /** Command lines shown under "Examples:" in help; each parses as written (test/unit/cli-help-table.test.ts). */
  examples?: string[];
  load(): Promise<CommandHandler>;
  /** SIGINT/SIGTERM is how it normally stops (a daemon): finishing after one is success, not "interrupted". */
  stopsOnSignal?: boolean;
  /**
   * stdout carries data, not messages (ssh-proxy: the SSH stream): errors go to stderr only,
   * even with --json.
   */
  stdoutIsData?: boolean;
}

export type AnyCommand = CommandEntry;
