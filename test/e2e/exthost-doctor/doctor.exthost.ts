/// <reference types="mocha" />
/**
 * "Terrarium: Run Doctor" and "Terrarium: Install Platform…" in the real extension host against
 * kube-sim (admin kubeconfig): the report opens as a read-only Markdown document, its summary offers
 * the fixes' buttons, and Install Platform asks its questions, lists every object in its modal
 * confirmation and applies them (checked over the Kubernetes API).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'terrarium-dev.terrarium';
type Exports = import('../../../src/extension/extension').TerrariumExports;

/** One question the extension asked, and what the script answered. */
interface Prompt { kind: 'pick' | 'input' | 'warning' | 'info' | 'error'; text: string; items: string[]; answer?: string; invalid?: string }

/**
 * Replaces the prompts of vscode.window with `answer` (undefined: the person pressed Escape). An
 * input answer is checked with the box's own validateInput ('' takes the box's default); a rejected one cannot be submitted, so
 * the box is cancelled, as it would be by a person who gives up.
 */
function scriptUi(answer: (p: Prompt) => string | undefined) {
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
async function run(command: string, answers: [RegExp, string][]): Promise<Prompt[]> {
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


describe('Run Doctor and Install Platform', function () {
  this.timeout(120_000);
  let api: Exports;
  before(async () => {
    api = await vscode.extensions.getExtension(extensionId)!.activate() as Exports;
  });

  it('Run Doctor opens a read-only report and offers Install Platform… before the platform is installed', async () => {
    const prompts = await run('terrarium.runDoctor', []);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'terrarium-doctor');
    assert.ok(doc, 'the report is open');
    assert.equal(doc.languageId, 'markdown');
    const text = doc.getText();
    assert.match(text, /^# Terrarium Doctor/);
    assert.match(text, /## Platform/);
    assert.match(text, /Default StorageClass standard/);
    assert.match(text, /## This machine/);
    const summary = prompts.find((p) => /^Terrarium Doctor:/.test(p.text));
    assert.ok(summary, JSON.stringify(prompts));
    assert.ok(summary.items.includes('Install Platform…'), `buttons: ${summary.items.join(', ')}`);
    // A content-provider document: there is no file behind it, so the report cannot be saved over.
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'x')).then(() => undefined, () => undefined);
    const saved = await doc.save().then((ok) => ok, () => false);
    assert.equal(saved, false, 'the report cannot be saved');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Install Platform… asks, lists every object before applying, and installs', async () => {
    const prompts = await run('terrarium.installPlatform', [
      [/\(1\/5\)/, 'platform-e2e'], [/\(2\/5\)/, ''], [/\(3\/5\)/, ''], [/\(4\/5\)/, 'Without Vault'], [/\(5\/5\)/, 'Apply'],
      [/^Install the Terrarium platform in namespace "platform-e2e"/, 'Install'], [/platform installed/, ''],
    ]);
    const confirm = prompts.find((p) => p.kind === 'warning');
    assert.ok(confirm, JSON.stringify(prompts));
    const cluster = (await api.session.cluster()).withNamespace('platform-e2e');
    const cm = await cluster.core.readNamespacedConfigMap({ name: 'terrarium-platform', namespace: 'platform-e2e' });
    assert.equal(cm.data?.usersGroup, 'terrarium-users');
    const result = vscode.workspace.textDocuments.find((d) => /^# Installed the Terrarium platform/.test(d.getText()));
    assert.ok(result, 'the result is shown');
    assert.match(result.getText(), /applied ValidatingAdmissionPolicy\/terrarium-claims/);
  });
});
