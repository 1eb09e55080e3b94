/**
 * The confirmation before scaling down: which sandboxes stop, and whose work is in them. A claimed
 * sandbox in the tail is named with its holder ("yours", "claimed by alice"), so nobody stops
 * someone's sandbox without being told. No vscode import: unit tested in plain Node.
 */
import type { Sandbox } from '../../core/devenv';
import { plainText } from '../tree/treeModel';

export interface ScaleDownDialog { message: string; detail: string; action: string }

export function scaleDownDialog(env: string, from: number, to: number, sandboxes: readonly Pick<Sandbox, 'name' | 'ordinal' | 'claimedBy'>[], me: string | undefined): ScaleDownDialog {
  const byOrdinal = new Map(sandboxes.map((x) => [x.ordinal, x]));
  const stopping = Array.from({ length: from - to }, (_, i) => byOrdinal.get(to + i) ?? { name: `${env}-${to + i}`, ordinal: to + i, claimedBy: undefined });
  const claimed = stopping.filter((x) => x.claimedBy);
  const holder = (x: { claimedBy?: string }) => (x.claimedBy === me ? 'yours' : `claimed by ${plainText(x.claimedBy!)}`);
  const message = claimed.length
    ? `Scale ${env} from ${from} to ${to}? ${claimed.length === 1 ? '1 claimed sandbox stops' : `${claimed.length} claimed sandboxes stop`}: ${claimed.map((x) => `${x.name} (${holder(x)})`).join(', ')}.`
    : `Scale ${env} from ${from} to ${to}?`;
  const detail = [
    `These sandboxes stop: ${stopping.map((x) => (x.claimedBy ? `${x.name} (${holder(x)})` : x.name)).join(', ')}.`,
    claimed.some((x) => x.claimedBy !== me) ? 'Someone is working in them: their terminals, agent sessions and running processes end, and they cannot connect until it is scaled up again.' : '',
    'Their workspaces are kept and come back when you scale up again. tmux sessions in them end.',
  ].filter(Boolean).join(' ');
  return { message, detail, action: to === 0 ? 'Stop All' : 'Scale Down' };
}
