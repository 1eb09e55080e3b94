/**
 * Which sandboxes the "tmux in Sandbox" profile offers. "Yours" is the API server's user
 * (SelfSubjectReview through the session's identity()), asked here rather than read from a cached
 * name: that name is unset until the identity has answered once, and then nothing would be yours.
 * No vscode import, so it is unit-tested.
 */
import type { Sandbox } from '../../core/devenv/types';
import type { Identity } from '../../core/kube/identity';

export interface TerminalPickSession {
  watch(): { sandboxes(): Sandbox[] } | undefined;
  identity(): Promise<Pick<Identity, 'username'>>;
}

/** The Ready sandboxes, and those of them you hold (none when the server cannot say who you are). */
export async function terminalCandidates(session: TerminalPickSession): Promise<{ ready: Sandbox[]; mine: Sandbox[] }> {
  const ready = session.watch()?.sandboxes().filter((x) => x.status.phase === 'Ready') ?? [];
  if (!ready.length) return { ready, mine: [] };
  const me = await session.identity().then((id) => id.username, () => undefined);
  return { ready, mine: me === undefined ? [] : ready.filter((x) => x.claimedBy === me) };
}
