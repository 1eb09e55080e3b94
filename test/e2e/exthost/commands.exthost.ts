/// <reference types="mocha" />
/**
 * Terrarium's commands run for real in the extension host, as from the command palette, against
 * kube-sim's sample environment. The quick picks, input boxes and confirmations a person would
 * answer are answered by a script (this bundle shares the extension's `vscode` API object; see
 * ../extensionHostTests.ts), and every effect is checked over the Kubernetes API.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import * as vscode from 'vscode';
import { run, until as untilWithin } from './scriptUi';

/** This suite's commands wait on a busy machine: 90 s unless a call says otherwise. */
const until = <T>(fn: () => Promise<T | undefined | false>, what: string, ms = 90_000) => untilWithin(fn, what, ms);

const extensionId = 'terrarium-dev.terrarium';
type Exports = import('../../../src/extension/extension').TerrariumExports;



/** The first line a TCP server sends (sshd sends its banner first), or an error. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => { got += d; if (got.includes('\n')) { s.destroy(); resolve(got); } });
    s.on('error', reject);
    s.setTimeout(30_000, () => { s.destroy(); reject(new Error(`nothing from port ${port}`)); });
  });
}

describe('Terrarium commands, answered like a person would, against kube-sim', function () {
  this.timeout(180_000);
  let api: Exports;
  const cluster = () => api.session.cluster();
  const ns = () => api.session.namespace;
  const claimedBy = async (sandbox: string) => (await (await cluster()).core.readNamespacedPersistentVolumeClaim({
    name: `workspace-${sandbox}`, namespace: ns() })).metadata?.annotations?.['terrarium.dev/claimed-by'];
  const replicas = async (env: string) => (await (await cluster()).apps.readNamespacedStatefulSet({ name: env, namespace: ns() })).spec?.replicas;
  const exists = async (env: string) => (await (await cluster()).apps.listNamespacedStatefulSet({ namespace: ns() })).items.some((x) => x.metadata?.name === env);
  const pvcs = async (env: string) => (await (await cluster()).core.listNamespacedPersistentVolumeClaim({ namespace: ns() })).items
    .map((p) => p.metadata!.name!).filter((n) => n.startsWith(`workspace-${env}-`)).sort();
  /** The watch cache (what the pickers offer) shows these sandboxes Ready. */
  const readyInCache = (names: string[]) => until(async () => {
    await api.session.state(); // opens the cluster and its watch, as the tree does
    const ready = (api.session.watch()?.sandboxes() ?? []).filter((x) => x.status.phase === 'Ready').map((x) => x.name);
    return names.every((n) => ready.includes(n));
  }, `${names.join(', ')} ready in the tree`);

  before(async () => {
    api = await vscode.extensions.getExtension(extensionId)!.activate() as Exports;
    api.session.setVisible(true);
    await readyInCache(['sample-0', 'sample-1']);
  });

  it('switch namespace: validates the name, switches, and switches back', async () => {
    const home = ns();
    const bad = await run('terrarium.switchNamespace', [[/Switch namespace/, 'Not_A_Namespace']]);
    assert.ok(bad[0]?.invalid, 'an invalid namespace is refused by the input box');
    assert.equal(ns(), home);
    await run('terrarium.switchNamespace', [[/Switch namespace/, 'elsewhere']]);
    assert.equal(ns(), 'elsewhere');
    await run('terrarium.switchNamespace', [[/Switch namespace/, home]]);
    assert.equal(ns(), home);
    await readyInCache(['sample-0', 'sample-1']);
  });

  it('claim a sandbox: the chosen environment\'s first free sandbox is recorded as mine', async () => {
    const prompts = await run('terrarium.claimSandbox', [[/Choose an environment/, 'sample']]);
    const done = prompts.find((p) => p.kind === 'info' && / is yours\.$/.test(p.text));
    assert.ok(done, JSON.stringify(prompts));
    const sandbox = done.text.replace(/ is yours\.$/, '');
    assert.equal(sandbox, 'sample-0');
    // The claim is recorded under the API server's name for this person (SelfSubjectReview), not the OS login.
    assert.equal(await claimedBy(sandbox), (await api.tree.team.identity())?.username);
  });

  it('copy ssh command: the clipboard gets the ssh command for the chosen sandbox', async () => {
    const prompts = await run('terrarium.copySshCommand', [[/Choose a sandbox/, 'sample-0']]);
    // The message comes after the clipboard write succeeded, and shows what was copied.
    const copied = prompts.find((p) => p.kind === 'info' && p.text.startsWith('Copied: '))?.text.slice('Copied: '.length);
    assert.match(copied ?? '', /^ssh .*sample-0/, JSON.stringify(prompts));
    // Headless Chromium may not hand the clipboard back; when it does, it holds the command.
    const clip = await Promise.resolve(vscode.env.clipboard.readText()).catch(() => '');
    if (clip) assert.equal(clip, copied);
  });

  it('connect in the current window opens the sandbox over Remote-SSH in this window', async () => {
    const ext = vscode.extensions as any;
    const cmds = vscode.commands as any;
    const saved = { get: ext.getExtension, exec: cmds.executeCommand };
    const opened: any[] = [];
    // Remote-SSH is not in code-server: pretend it is, and catch the window switch it would make.
    ext.getExtension = (id: string) => (id === 'ms-vscode-remote.remote-ssh' ? { id } : saved.get.call(ext, id));
    cmds.executeCommand = (id: string, ...args: any[]) => (id === 'vscode.openFolder' ? (opened.push(args), Promise.resolve()) : saved.exec.call(cmds, id, ...args));
    try {
      await run('terrarium.connectCurrentWindow', [[/Choose a sandbox/, 'sample-0']]);
    } finally { Object.assign(ext, { getExtension: saved.get }); Object.assign(cmds, { executeCommand: saved.exec }); }
    assert.equal(opened.length, 1, 'one window switch');
    const [uri, options] = opened[0] as [vscode.Uri, { forceNewWindow: boolean }];
    assert.equal(uri.scheme, 'vscode-remote');
    assert.match(uri.authority, /^ssh-remote\+terrarium\..*\.sample-0$/);
    assert.equal(uri.path, '/workspace');
    assert.equal(options.forceNewWindow, false);
  });

  it('forward a port: a TCP connection reaches the sandbox\'s sshd; stop forward closes it', async () => {
    const prompts = await run('terrarium.forwardPort', [[/Choose a sandbox/, 'sample-0'], [/Forward a port of sample-0/, '2222']]);
    const info = prompts.find((p) => p.kind === 'info' && p.text.startsWith('Forwarding'));
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(info?.text ?? '')?.[1]);
    assert.ok(port > 0, JSON.stringify(prompts));
    assert.match(await firstLine(port), /^SSH-2\.0-/);
    await run('terrarium.stopForward', [[/Stop a port forward/, `127.0.0.1:${port} → sample-0:2222`]]);
    await assert.rejects(firstLine(port), /ECONNREFUSED/);
  });

  it('agent sessions: new, send, show output, kill', async () => {
    await run('terrarium.newAgentSession', [[/Choose a sandbox/, 'sample-0'], [/New agent session in sample-0/, 'Shell'], [/Session name for Shell in sample-0/, 'bot']]);
    assert.ok((await api.session.tmux('sample-0').list()).some((x) => x.name === 'bot'));
    const pickBot: [RegExp, string][] = [[/Choose a sandbox/, 'sample-0'], [/Agent sessions in sample-0/, 'bot']];
    await run('terrarium.sendToSession', [...pickBot, [/Send to bot in sample-0/, 'echo answer-$((6*7))']]);
    // The shell computed it: the keys reached the session. Show Output opens what the session shows.
    await until(async () => {
      await run('terrarium.showSessionOutput', pickBot);
      return /answer-42/.test(vscode.window.activeTextEditor?.document.getText() ?? '');
    }, 'answer-42 in the session output', 30_000);
    await run('terrarium.killSession', [...pickBot, [/Kill agent session bot/, 'Kill Session']]);
    assert.deepEqual((await api.session.tmux('sample-0').list()).map((x) => x.name).filter((n) => n === 'bot'), []);
  });

  it('release: Escape keeps the claim; keeping the workspace gives the sandbox back with the same workspace', async () => {
    const me = (await api.tree.team.identity())?.username;
    const uid = async () => (await (await cluster()).core.readNamespacedPersistentVolumeClaim({ name: 'workspace-sample-0', namespace: ns() })).metadata?.uid;
    const before = await uid();
    const escaped = await run('terrarium.releaseSandbox', [[/Choose a sandbox/, 'sample-0']]);
    assert.deepEqual(escaped.find((p) => p.kind === 'warning')?.items,
      ['Release and recycle (new empty workspace)', 'Release, keep workspace (--keep)', 'Back up, then recycle…']);
    assert.equal(await claimedBy('sample-0'), me, 'no choice, no release');
    await run('terrarium.releaseSandbox', [[/Choose a sandbox/, 'sample-0'], [/Release sample-0\?/, 'Release, keep workspace (--keep)']]);
    assert.equal(await claimedBy('sample-0'), undefined);
    assert.equal(await uid(), before, 'the workspace is kept');
  });

  it('restart a sandbox: confirming replaces its pod', async () => {
    const uid = async () => (await (await cluster()).core.readNamespacedPod({ name: 'sample-1', namespace: ns() })).metadata?.uid;
    const before = await uid();
    await run('terrarium.restartSandbox', [[/Choose a sandbox/, 'sample-1'], [/Restart sample-1\?/, 'Restart']]);
    await until(async () => { const now = await uid().catch(() => undefined); return !!now && now !== before; }, 'a new sample-1 pod');
    await readyInCache(['sample-0', 'sample-1']);
  });

  it('stop and start an environment', async () => {
    await run('terrarium.stopEnvironment', [[/Choose an environment/, 'sample'], [/Stop sample\?/, 'Stop']]);
    assert.equal(await replicas('sample'), 0);
    await run('terrarium.startEnvironment', [[/Choose an environment/, 'sample']]);
    assert.equal(await replicas('sample'), 2);
    await readyInCache(['sample-0', 'sample-1']);
  });

  /** Creates an environment of one sandbox through the guided input, accepting its defaults. */
  const create = async (name: string) => {
    await run('terrarium.createEnvironment', [[/\(1\/4\)/, name], [/\(2\/4\)/, '1'], [/\(3\/4\)/, ''], [/\(4\/4\)/, '']]);
    await until(async () => (await pvcs(name)).length === 1, `the workspace of ${name}-0`);
    await until(async () => (api.session.watch()?.environments() ?? []).some((e) => e.name === name), `${name} in the tree`);
  };

  it('delete an environment keeping its workspaces', async () => {
    await create('keeper');
    const prompts = await run('terrarium.deleteEnvironment', [[/Choose an environment/, 'keeper'], [/Delete environment keeper\?/, 'Delete, Keep Workspaces']]);
    assert.ok(prompts.some((p) => p.kind === 'info' && /Kept 1 workspace/.test(p.text)), JSON.stringify(prompts));
    await until(async () => !(await exists('keeper')), 'keeper deleted');
    assert.deepEqual(await pvcs('keeper'), ['workspace-keeper-0'], 'the workspace is kept');
  });

  it('delete an environment with its workspaces only after its name is typed', async () => {
    await create('doomed');
    const wipe: [RegExp, string][] = [[/Choose an environment/, 'doomed'], [/Delete environment doomed\?/, 'Delete Including Workspaces…']];
    const wrong = await run('terrarium.deleteEnvironment', [...wipe, [/Delete doomed and ALL its workspaces/, 'doome']]);
    assert.equal(wrong.find((p) => p.kind === 'input')?.invalid, 'Type "doomed" to confirm.');
    assert.equal(await exists('doomed'), true, 'a wrong name deletes nothing');
    await run('terrarium.deleteEnvironment', [...wipe, [/Delete doomed and ALL its workspaces/, 'doomed']]);
    await until(async () => !(await exists('doomed')) && (await pvcs('doomed')).length === 0, 'doomed and its workspace deleted');
  });
});
