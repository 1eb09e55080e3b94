/** Help texts, generated from the command table so they never drift from what is parsed. */
import { GLOBAL_OPTIONS, type OptionSpecs } from './args';
import { commandGroups, usageOf } from './commandTable';
import type { AnyCommand, CommandEntry } from './commandTypes';

function optionRows(specs: OptionSpecs): [string, string][] {
  return Object.entries(specs).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`;
    return [flag, s.description + (s.multiple ? ' (repeatable)' : '')];
  });
}

function twoColumns(rows: [string, string][], indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`.trimEnd());
}

const GLOBAL_ROWS = (): [string, string][] => [
  ...optionRows(GLOBAL_OPTIONS),
  ['    --version', 'print the version'],
];

/** `terrarium --help`. */
export function mainHelp(commands: AnyCommand[], version: string): string {
  const rows: [string, string][] = commands.map((c) => [`${c.name}${c.args ? ` ${c.args}` : ''}`, c.summary]);
  return [
    `terrarium ${version}: agent dev environments on Kubernetes`,
    '',
    'Usage: terrarium [global options] <command> [arguments] [options]',
    '',
    'Commands:',
    ...twoColumns(rows),
    '',
    'Global options (before or after the command):',
    ...twoColumns(GLOBAL_ROWS()),
    '',
    'Run "terrarium <command> --help" for the options of one command.',
    'Exit codes: 0 ok, 1 the operation failed, 2 usage error, 130 interrupted.',
    'Audit log: every action appends one JSON line to $TERRARIUM_AUDIT_LOG, else',
    '  $XDG_STATE_HOME/terrarium/audit.log (default ~/.local/state/terrarium/audit.log; 0600, rotated at 5 MiB).',
    '',
  ].join('\n');
}

/** `terrarium env --help`: the commands of one group. */
export function groupHelp(group: string, commands: AnyCommand[]): string {
  const mine = commands.filter((c) => c.name.startsWith(`${group} `));
  return [
    `Usage: terrarium ${group} <command> [arguments] [options]`,
    '',
    'Commands:',
    ...twoColumns(mine.map((c) => [`${c.name}${c.args ? ` ${c.args}` : ''}`, c.summary])),
    '',
    `Run "terrarium ${group} <command> --help" for the options of one command.`,
    '',
  ].join('\n');
}

/** `terrarium env create --help`. */
export function commandHelp(c: CommandEntry): string {
  const own = c.options && Object.keys(c.options).length ? ['', 'Options:', ...twoColumns(optionRows(c.options))] : [];
  return [
    `Usage: ${usageOf(c)}`,
    '',
    `${c.summary}.`,
    ...(c.details ? ['', c.details] : []),
    ...own,
    ...(c.examples?.length ? ['', c.examples.length > 1 ? 'Examples:' : 'Example:', ...c.examples.map((e) => `  ${e}`)] : []),
    '',
    'Global options:',
    ...twoColumns(optionRows(GLOBAL_OPTIONS)),
    '',
  ].join('\n');
}

export function isGroup(word: string | undefined, commands: AnyCommand[]): boolean {
  return word !== undefined && commandGroups(commands).includes(word);
}

/** Up to three command names close to what was typed, for "did you mean". */
export function suggestCommands(typed: string, commands: AnyCommand[]): string[] {
  const names = commands.map((c) => c.name);
  const scored = names.map((n) => ({ n, d: distance(typed, n) }))
    .filter(({ n, d }) => d <= Math.max(2, Math.floor(typed.length / 3)) || n.endsWith(` ${typed}`) || n.startsWith(`${typed} `))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, 3).map(({ n }) => n);
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
