/**
 * The release dialog's words and choices, as plain data (no vscode import, unit tested): recycle
 * (the default: a new empty workspace for whoever comes next), keep the workspace, or back up first
 * and then recycle. Each consequence is said in plain words before anything happens.
 */
import { plainText } from '../tree/treeModel';

export type ReleaseMode = 'recycle' | 'keep' | 'backup';

export const RELEASE_CHOICES: readonly { label: string; mode: ReleaseMode }[] = [
  { label: 'Release and recycle (new empty workspace)', mode: 'recycle' },
  { label: 'Release, keep workspace (--keep)', mode: 'keep' },
  { label: 'Back up, then recycle…', mode: 'backup' },
];

export function releaseModeOf(label: string | undefined): ReleaseMode | undefined {
  return RELEASE_CHOICES.find((c) => c.label === label)?.mode;
}

export interface ReleaseDialog { message: string; detail: string; choices: string[] }

/**
 * The dialog for releasing `sandbox`. `holder` is who holds it now; when it is not `me`, the person
 * is an admin taking it away (force), and the dialog says whose work is at stake.
 */
export function releaseDialog(sandbox: string, me: string, holder: string | undefined): ReleaseDialog {
  const theirs = holder !== undefined && holder !== me;
  const who = theirs ? plainText(holder) : undefined;
  const message = theirs ? `Release ${sandbox}, claimed by ${who}?` : `Release ${sandbox}?`;
  const detail = [
    theirs ? `${who} loses access at once: their key is removed and their terminals and agent sessions in it end.` : '',
    'Recycle (the default) deletes the workspace and the pod: every file in it is gone, and the next person gets a new, empty workspace and a new host key.',
    'Keep leaves the files in place and only removes the claim and every key, for when the same person comes back.',
    'Back up first saves the workspace to a .tar.gz file on this computer, then recycles.',
  ].filter(Boolean).join('\n\n');
  return { message, detail, choices: RELEASE_CHOICES.map((c) => c.label) };
}

/** A default file name for a workspace backup: `<sandbox>-<UTC date and time>.tar.gz`. */
export function defaultBackupName(sandbox: string, now: Date): string {
  return `${sandbox}-${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z.tar.gz`;
}
