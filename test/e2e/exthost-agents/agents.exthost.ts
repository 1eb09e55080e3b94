/// <reference types="mocha" />
/**
 * Agent sessions that report, in the real extension host against kube-sim: a scripted "agent"
 * (a terrarium.agents preset) asks for input with the bell, then exits 3. The tree row shows each
 * state, a notification comes once per event with "Open Terminal", and the exit carries its code.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { run, scriptUi, until } from '../exthost/scriptUi';

type Exports = import('../../../src/extension/extension').TerrariumExports;
type TreeNode = import('../../../src/extension/tree/treeProvider').TreeNode;


describe('agent sessions report their state', function () {
  this.timeout(180_000);
  let api: Exports;

  /** The session rows under sample-0, as the Clusters view lists them. */
  const sessionRows = async (): Promise<TreeNode[]> => {
    const t = api.tree;
    const root = await t.getChildren();
    const cluster = root.find((n) => n.kind === 'cluster' && n.context === api.session.currentContext)!;
    const [ns] = await t.getChildren(cluster);
    const env = (await t.getChildren(ns)).find((n) => n.kind === 'environment' && n.environment === 'sample')!;
    const sbx = (await t.getChildren(env)).find((n) => n.kind === 'sandbox' && n.sandbox.name === 'sample-0')!;
    return t.getChildren(sbx);
  };
  const row = async (name: string) => (await sessionRows()).find((n) => n.kind === 'session' && n.session.name === name);

  before(async () => {
    api = await vscode.extensions.getExtension('terrarium-dev.terrarium')!.activate() as Exports;
    api.session.setVisible(true);
    await until(async () => {
      await api.session.state();
      return (api.session.watch()?.sandboxes() ?? []).some((x) => x.name === 'sample-0' && x.status.phase === 'Ready');
    }, 'sample-0 ready');
    await vscode.commands.executeCommand('terrarium.clusters.focus');
  });

  it('a missing agent is not started; the image helper is offered', async () => {
    const prompts = await run('terrarium.newAgentSession', [[/Choose a sandbox/, 'sample-0'], [/New agent session in sample-0/, 'Claude Code'], [/Session name/, '']]);
    const warn = prompts.find((p) => p.kind === 'warning');
    assert.match(warn?.text ?? '', /Claude Code \(claude\) is not installed in sample-0\. .*terrarium-agents install claude-code/);
    assert.deepEqual(warn?.items, ['Install']);
    assert.equal(await row('claude'), undefined);
  });

  it('the scripted agent: running, asks for input (bell, one notification), then exited with code 3', async () => {
    const answers: [RegExp, string][] = [[/Choose a sandbox/, 'sample-0'], [/New agent session in sample-0/, 'scripted'], [/Session name for scripted/, '']];
    const events = scriptUi((p) => answers.find(([re]) => re.test(p.text))?.[1]);
    try {
      await vscode.commands.executeCommand('terrarium.newAgentSession');
      const bell = await until(async () => events.prompts.find((p) => /Agent session scripted in sample-0 is asking for input: Proceed\? \[y\/n\]/.test(p.text)), 'the bell notification');
      assert.deepEqual(bell.items, ['Open Terminal', 'Show Output']);
      const r = await until(async () => { const x = await row('scripted'); return x && /needs input/.test(x.view.description ?? '') ? x : undefined; }, 'the row shows it needs input');
      assert.match(r.view.description!, /^(running|waiting), needs input/);
      assert.match(r.view.tooltip!, /Last output: `Proceed\? \[y\/n\]`/);
      assert.equal(r.view.icon.id, 'bell-dot');
      // The person answers; the agent exits 3.
      await api.session.tmux('sample-0').send('scripted', 'y');
      const exit = await until(async () => events.prompts.find((p) => /Agent session scripted in sample-0 exited \(exit code 3\): agent: got y, giving up/.test(p.text)), 'the exit notification');
      assert.equal(exit.kind, 'warning');
      assert.deepEqual(exit.items, ['Open Terminal', 'Show Output']);
      const done = await until(async () => { const x = await row('scripted'); return x && /^exited/.test(x.view.description ?? '') ? x : undefined; }, 'the row shows it exited');
      assert.match(done.view.description!, /^exited \(exit code 3\)/);
      assert.equal(done.view.icon.id, 'error');
      // Once per event: over two more polls (sessionPollSeconds 2), no more notifications.
      const count = events.prompts.filter((p) => /scripted in sample-0 (is asking|exited)/.test(p.text)).length;
      await new Promise((r) => setTimeout(r, 5_000));
      assert.equal(events.prompts.filter((p) => /scripted in sample-0 (is asking|exited)/.test(p.text)).length, count);
      assert.equal(count, 2);
    } finally { events.restore(); }
  });

  it('New Agent Session on the exited session offers Restart; Show Output follows the kept log', async () => {
    const prompts = await run('terrarium.newAgentSession', [[/Choose a sandbox/, 'sample-0'], [/New agent session in sample-0/, 'scripted'],
      [/Session name for scripted/, ''], [/has exited \(exit code 3\)/, 'Restart']]);
    assert.ok(prompts.some((p) => p.kind === 'warning' && /has exited \(exit code 3\)/.test(p.text) && p.items.includes('Restart')), JSON.stringify(prompts));
    await until(async () => { const x = await row('scripted'); return x && /needs input/.test(x.view.description ?? ''); }, 'restarted and asking again');
    await run('terrarium.showSessionOutput', [[/Choose a sandbox/, 'sample-0'], [/Agent sessions in sample-0/, 'scripted']]);
    // The log holds both runs: the first one's answer and the second one's question.
    await until(async () => {
      const text = vscode.window.activeTextEditor?.document.getText() ?? '';
      // Inert text: no bell character; one line per line (the log of a terminal, read through one).
      return /agent: got y, giving up/.test(text) && (text.match(/Proceed\? \[y\/n\]/g) ?? []).length >= 2 && !text.includes('\x07')
        && /^agent: reading the repo\nProceed\? \[y\/n\] y\nagent: got y, giving up\n/.test(text);
    }, 'both runs in Show Output', 30_000);
  });

  it('Restart Agent Session on the exited row runs it again (the row menu offers it only when exited)', async () => {
    // The previous test left it asking again: answer, so it exits once more.
    await api.session.tmux('sample-0').send('scripted', 'y');
    const exited = await until(async () => { const x = await row('scripted'); return x && /^exited/.test(x.view.description ?? '') ? x : undefined; }, 'the row shows it exited');
    assert.match(exited.view.contextValue, /;exited;/);
    const events = scriptUi(() => undefined);
    try {
      await vscode.commands.executeCommand('terrarium.restartSession', exited);
      assert.ok(events.prompts.some((p) => p.kind === 'info' && /Agent session scripted is running again in sample-0/.test(p.text)), JSON.stringify(events.prompts));
      assert.ok(!events.prompts.some((p) => p.kind === 'error'), JSON.stringify(events.prompts));
    } finally { events.restore(); }
    const again = await until(async () => { const x = await row('scripted'); return x && /needs input/.test(x.view.description ?? '') ? x : undefined; }, 'restarted and asking again');
    assert.doesNotMatch(again.view.contextValue, /;exited;/);
  });

  it('for the screenshot: the tree, the terminal and a real notification', async () => {
    // Real prompts now (no script): the next event shows a toast. Watch for it without answering.
    const w = vscode.window as any;
    const original = w.showWarningMessage;
    let shown = false;
    w.showWarningMessage = (...args: any[]) => { if (/exited \(exit code 3\)/.test(String(args[0]))) shown = true; return original.apply(vscode.window, args); };
    try {
      await api.session.tmux('sample-0').send('scripted', 'n');
      // (A dead pane without its status, tmux having lost the SIGCHLD, is nudged by TmuxSessions.list.)
      await until(async () => shown, 'a real exit notification');
    } finally { w.showWarningMessage = original; }
    await vscode.commands.executeCommand('terrarium.clusters.focus');
    await new Promise((r) => setTimeout(r, 1_000));
  });
});
