/**
 * A Secrets & Scaling panel restored after a reload names its context, namespace and environment
 * from state the webview saved: untrusted. Before anything is opened, the context must be one of
 * the kubeconfig's (usable) contexts and the names valid. No vscode import (unit tested).
 */
import { validateName, validateNamespace } from '../../core/devenv/validate';
import { parsePanelIdentity, type PanelIdentity } from '../../shared/protocol';

export type RestoreVerdict = { ok: true; id: PanelIdentity } | { ok: false; reason: string };

const NOT_RESTORED = 'A Secrets & Scaling panel from the last session was closed instead of restored:';

/** `contexts`: the kubeconfig discovery's usable contexts (the session's contexts()). */
export function checkRestoredPanel(saved: unknown, contexts: readonly { name: string }[]): RestoreVerdict {
  const id = parsePanelIdentity(saved);
  if (!id) return { ok: false, reason: `${NOT_RESTORED} its saved state is not a panel identity.` };
  try {
    validateNamespace(id.namespace);
    validateName(id.environment);
  } catch (e) {
    return { ok: false, reason: `${NOT_RESTORED} ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!contexts.some((c) => c.name === id.context)) {
    // Only a name of printable characters is worth showing; anything else is no kubeconfig's.
    const shown = /^[\x20-\x7e]{1,100}$/.test(id.context) ? ` ${JSON.stringify(id.context)}` : '';
    return { ok: false, reason: `${NOT_RESTORED} its context${shown} is not in the kubeconfig. Open the environment again from the Terrarium view.` };
  }
  return { ok: true, id };
}
