/**
 * Scripted answers for the prompts of the real extension host's tests (*.exthost.ts): replaces
 * vscode.window's pickers, input boxes and messages while one command runs. Not a test file itself.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

/** One question the extension asked, and what the script answered. */
export interface Prompt { kind: 'pick' | 'input' | 'warning' | 'info' | 'error'; text: string; items: string[]; answer?: string; invalid?: string }

/**
 * Replaces the prompts of vscode.window with `answer` (undefined: the person pressed Escape). An
 * input answer is checked with the box's own validateInput ('' takes the box's default); a rejected one cannot be submitted, so
 * the box is cancelled, as it would be by a person who gives up.
 */
export function scriptUi(answer: (p: Prompt) => string | undefined) {
  const w = vscode.window as any;
  const saved = { pick: w.showQuickPick, input: w.showInputBox, warning: w.showWarningMessage, info: w.showInformationMessage, error: w.showErrorMessage };
  const prompts: Prompt[] = [];
  const message = (kind: Prompt['kind']) => async (text: string, ...rest: any[]) => {
    const items = rest.filter((r) => typeof r === 'string');
    const p: Prompt = { kind, text, items };
    prompts.push(p);
    const a = answer(p);
    p.answer = a !== undefined && items.includes(a) ? a : undefined;
    return p.answer;
  };
  w.showQuickPick = async (items: any, options?: vscode.QuickPickOptions) => {
    const list: any[] = await items;
    const labels = list.map((i) => (typeof i === 'string' ? i : i.label));
    const p: Prompt = { kind: 'pick', text: options?.title ?? options?.placeHolder ?? '', items: labels };
    prompts.push(p);
    const a = answer(p);
    const i = a === undefined ? -1 : labels.indexOf(a);
    p.answer = i >= 0 ? a : undefined;
    return i >= 0 ? list[i] : undefined;
  };
  w.showInputBox = async (options?: vscode.InputBoxOptions) => {
    const p: Prompt = { kind: 'input', text: options?.title ?? options?.prompt ?? '', items: [] };
    prompts.push(p);
    const given = answer(p);
    if (given === undefined) return undefined;
    // An empty answer to a box with a default value accepts the default, as Enter does.
    const a = given === '' && options?.value !== undefined ? options.value : given;
    const invalid = await options?.validateInput?.(a);
    const why = typeof invalid === 'string' ? invalid : invalid?.message;
    if (why) { p.invalid = why; return undefined; }
    p.answer = a;
    return a;
  };
  w.showWarningMessage = message('warning');
  w.showInformationMessage = message('info');
  w.showErrorMessage = message('error');
  return {
    prompts,
    restore() { Object.assign(w, { showQuickPick: saved.pick, showInputBox: saved.input, showWarningMessage: saved.warning, showInformationMessage: saved.info, showErrorMessage: saved.error }); },
  };
}

/** Runs a command with a script of answers, keyed by a pattern on the prompt's title or message. */
export async function run(command: string, answers: [RegExp, string][]): Promise<Prompt[]> {
  const ui = scriptUi((p) => answers.find(([re]) => re.test(p.text))?.[1]);
  try {
    await vscode.commands.executeCommand(command);
  } finally {
    ui.restore();
  }
  const errors = ui.prompts.filter((p) => p.kind === 'error');
  assert.deepEqual(errors.map((e) => e.text), [], `${command} showed an error`);
  return ui.prompts;
}

/** Polls fn until it returns something (not undefined/false), or fails after ms naming `what` and the last error. */
export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
