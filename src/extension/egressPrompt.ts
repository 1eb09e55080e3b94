/**
 * The create wizard's egress texts and the confirmation for risky allow-list entries. No 'vscode'
 * import and no core import (the warnings come in from the lazily loaded core), so it is unit-tested.
 */

/** The part of an egress warning shown to people (core/devenv/egress.ts EgressWarning). */
export interface EgressWarningText { entry: string; message: string }

/** The part of `vscode.window` the confirmation uses. */
export interface ModalUi {
  showWarningMessage(message: string, options: { modal: true; detail: string }, ...items: string[]): Thenable<string | undefined>;
}

export const CREATE_ANYWAY = 'Create Anyway';
export const OPEN_SETTINGS = 'Open User Settings';

/** One line for the wizard: what sandboxes will be able to reach, and where the list comes from. */
export function egressLine(allow: readonly string[]): string {
  return allow.length
    ? `Network: DNS and public addresses, plus ${allow.join(', ')} (terrarium.egressAllowList, user settings).`
    : 'Network: DNS and public addresses only (add more with terrarium.egressAllowList in user settings).';
}

/**
 * Asks before creating an environment whose allow-list opens private, metadata or all addresses.
 * Resolves true to go ahead; false when the person cancels or goes to the settings instead.
 */
export async function confirmEgress(name: string, warnings: readonly EgressWarningText[], ui: ModalUi, openSettings: () => unknown): Promise<boolean> {
  if (!warnings.length) return true;
  const pick = await ui.showWarningMessage(
    `Environment ${name}: the egress allow-list opens ${warnings.length === 1 ? 'a destination' : 'destinations'} that sandboxes cannot reach by default.`,
    {
      modal: true,
      detail: `${warnings.map((w) => `• ${w.message}`).join('\n')}\n\nCode in the sandboxes (agents included) can connect there. `
        + 'The list is the terrarium.egressAllowList user setting.',
    },
    CREATE_ANYWAY, OPEN_SETTINGS);
  if (pick === OPEN_SETTINGS) await openSettings();
  return pick === CREATE_ANYWAY;
}
