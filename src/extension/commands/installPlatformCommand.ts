/**
 * "Terrarium: Install Platform…": the choices of `terrarium platform install` (namespace, groups,
 * the Vault Secrets Operator with its address and role, dry run or apply), a modal confirmation that
 * lists every object, then the same core call as the CLI (setupPlatform) with progress and cancel.
 */
import * as vscode from 'vscode';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import { guarded, withProgress } from '../ui';

interface Choices {
  namespace: string;
  usersGroup: string;
  adminsGroup: string;
  withVso: boolean;
  vso?: { address: string; role: string };
  dryRun: boolean;
}

const noSpace = (what: string) => (v: string) => (!v.trim() || /\s/.test(v.trim()) ? `${what} has no spaces and is not empty.` : undefined);

async function ask(s: Services): Promise<Choices | undefined> {
  const core = loadCore();
  const title = (n: number) => `Install Terrarium Platform (${n}/5)`;
  const namespace = await vscode.window.showInputBox({
    title: title(1), prompt: 'The namespace for environments (created with Pod Security "restricted")', value: s.session.namespace, ignoreFocusOut: true,
    validateInput: (v) => { try { core.devenv.validateName(v.trim(), 'namespace'); return undefined; } catch (e: any) { return e.text ?? e.message; } },
  });
  if (!namespace) return undefined;
  const { DEFAULT_USERS_GROUP, DEFAULT_ADMINS_GROUP, VSO_CHART_VERSION } = core.platformAdmin;
  const usersGroup = await vscode.window.showInputBox({ title: title(2), prompt: 'The group every Terrarium user is in (as the API server names it)', value: DEFAULT_USERS_GROUP, ignoreFocusOut: true, validateInput: noSpace('A group') });
  if (!usersGroup) return undefined;
  const adminsGroup = await vscode.window.showInputBox({ title: title(3), prompt: 'The group that may create environments and act for others', value: DEFAULT_ADMINS_GROUP, ignoreFocusOut: true, validateInput: noSpace('A group') });
  if (!adminsGroup) return undefined;
  const vsoPick = await vscode.window.showQuickPick([
    { label: 'Without Vault', value: 'none' as const, detail: 'Secrets are not synced from Vault' },
    { label: 'With the Vault Secrets Operator', value: 'operator' as const, detail: `helm installs chart ${VSO_CHART_VERSION} (or you get its commands); no VaultConnection yet` },
    { label: 'With the Vault Secrets Operator and a Vault connection', value: 'connect' as const, detail: 'Also a VaultConnection and a VaultAuth (Kubernetes auth method)' },
  ], { title: title(4), placeHolder: 'Vault Secrets Operator', ignoreFocusOut: true });
  if (!vsoPick) return undefined;
  let vso: Choices['vso'];
  if (vsoPick.value === 'connect') {
    const address = await vscode.window.showInputBox({
      title: title(4), prompt: 'Vault\'s address as the operator reaches it', placeHolder: 'https://vault.vault.svc:8200', ignoreFocusOut: true,
      validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'An http(s) URL, e.g. https://vault.vault.svc:8200'),
    });
    if (!address) return undefined;
    const role = await vscode.window.showInputBox({ title: title(4), prompt: 'The Vault role of the Kubernetes auth method', value: 'terrarium', ignoreFocusOut: true, validateInput: noSpace('A role') });
    if (!role) return undefined;
    vso = { address: address.trim(), role: role.trim() };
  }
  const mode = await vscode.window.showQuickPick([
    { label: 'Dry run', dryRun: true, detail: 'The API server checks every object; nothing is stored' },
    { label: 'Apply', dryRun: false, detail: 'Install (running it again changes nothing)' },
  ], { title: title(5), ignoreFocusOut: true });
  if (!mode) return undefined;
  return { namespace: namespace.trim(), usersGroup: usersGroup.trim(), adminsGroup: adminsGroup.trim(), withVso: vsoPick.value !== 'none', vso, dryRun: mode.dryRun };
}

export function registerInstallPlatformCommand(s: Services): vscode.Disposable[] {
  const show = async (content: string) => {
    const doc = await vscode.workspace.openTextDocument({ content, language: 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: true });
  };
  return [
    vscode.commands.registerCommand(COMMANDS.installPlatform, () => guarded(s.log, 'Install Platform', async () => {
      const c = await ask(s);
      if (!c) return;
      const { renderPlatform, describeObject, setupPlatform } = loadCore().platformAdmin;
      const version = String(s.context.extension.packageJSON.version);
      const objects = renderPlatform({ namespace: c.namespace, version, usersGroup: c.usersGroup, adminsGroup: c.adminsGroup, vso: c.vso });
      const cluster = (await s.session.cluster()).withNamespace(c.namespace);
      const listed = objects.map((o) => `• ${describeObject(o)}`).join('\n');
      const ok = await vscode.window.showWarningMessage(
        `${c.dryRun ? 'Dry-run' : 'Install'} the Terrarium platform in namespace "${c.namespace}" of context "${cluster.context}"?`,
        { modal: true, detail: `${c.withVso ? 'First the Vault Secrets Operator with helm (if helm is installed).\n' : ''}These objects will be ${c.dryRun ? 'checked' : 'created or updated'} (server-side apply):\n${listed}` },
        c.dryRun ? 'Dry Run' : 'Install',
      );
      if (ok !== 'Dry Run' && ok !== 'Install') return;
      const lines: string[] = [];
      const result = await withProgress(`Terrarium: ${c.dryRun ? 'dry-running' : 'installing'} the platform in ${c.namespace}`, (signal, report) =>
        setupPlatform(cluster, objects, {
          withVso: c.withVso, dryRun: c.dryRun, env: process.env, signal,
          log: (l) => { lines.push(l); s.log.info(`platform install: ${l}`); report(l); },
        }));
      const out = [
        `# ${c.dryRun ? 'Dry run of' : 'Installed'} the Terrarium platform`, '',
        `Namespace \`${c.namespace}\`, context \`${cluster.context}\`: ${result.applied.length} objects ${c.dryRun ? 'accepted by the API server; nothing was changed' : 'applied'}.`, '',
        ...lines.map((l) => `- ${l}`),
      ];
      if (result.helm && !result.helm.ran) {
        out.push('', `## Vault Secrets Operator`, '', result.helm.present ? 'Not installed (dry run). Run:' : 'helm is not installed. Install the operator with:', '', '```sh', ...result.helm.commands, '```');
      }
      if (result.skipped.length) out.push('', `Not applied (the Vault Secrets Operator is not installed yet): ${result.skipped.map((o) => `${o.kind}/${o.metadata!.name}`).join(', ')}. Run this command again once it is.`);
      out.push('', 'Check the result with **Terrarium: Run Doctor** (or `terrarium doctor`).', '');
      await show(out.join('\n'));
      s.tree.refresh(true);
      const pick = await vscode.window.showInformationMessage(`Terrarium platform ${c.dryRun ? 'dry run passed' : 'installed'} in ${c.namespace}.`, 'Run Doctor');
      if (pick === 'Run Doctor') await vscode.commands.executeCommand(COMMANDS.runDoctor);
    })),
  ];
}
