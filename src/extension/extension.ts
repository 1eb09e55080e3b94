import * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // The UI arrives with the extension issue; the view container is declared in package.json.
}

export function deactivate(): void {}
