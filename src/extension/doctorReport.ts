/**
 * The doctor's report as Markdown for the read-only editor "Terrarium: Run Doctor" opens, and the
 * buttons its failed checks offer. No vscode import: unit-tested in plain Node.
 */
import type { DoctorAction, DoctorCheck, DoctorReport } from '../core/platform/doctor';

const ICON: Record<DoctorCheck['status'], string> = { ok: '✅', warn: '⚠️', fail: '❌', skipped: '➖' };
export const ACTION_TITLES: Record<DoctorAction, string> = {
  installPlatform: 'Install Platform…',
  openKubeconfig: 'Open kubeconfig',
  installRemoteSsh: 'Install Remote - SSH',
};

/** Text from the cluster or kubeconfig, shown in Markdown: no controls, no markup, no links. */
function md(text: string): string {
  // eslint-disable-next-line no-control-regex -- C0/C1 controls and DEL become spaces
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ').replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`);
}

const SECTIONS: [string, (id: string) => boolean][] = [
  ['Cluster and you', (id) => ['kubeconfig', 'reachable', 'version', 'authenticated', 'namespace', 'resources', 'identity'].includes(id)],
  ['Platform', (id) => ['claims', 'controller', 'pod-security', 'storage-class', 'network-policy', 'dns', 'vso', 'image'].includes(id)],
  ['What you may do', (id) => id.startsWith('can:')],
  ['This machine', (id) => id.startsWith('local:')],
];

export function doctorMarkdown(r: DoctorReport): string {
  const failed = r.checks.filter((c) => c.status === 'fail');
  const warned = r.checks.filter((c) => c.status === 'warn');
  const out = [
    '# Terrarium Doctor',
    '',
    r.context ? `Context **${md(r.context)}**, namespace **${md(r.namespace)}**${r.server ? `, ${md(r.server)}` : ''}${r.serverVersion ? ` (Kubernetes ${md(r.serverVersion)})` : ''}` : 'No cluster: the kubeconfig could not be used.',
    '',
    failed.length ? `**${failed.length} ${failed.length === 1 ? 'problem blocks' : 'problems block'} using Terrarium here.**` : '**Nothing blocks using Terrarium here.**'
      + (warned.length ? ` ${warned.length} warning${warned.length === 1 ? '' : 's'} below.` : ''),
  ];
  if (failed.length) {
    out.push('', '## To fix', '');
    for (const c of failed) out.push(`- ${md(c.line)}${c.hint ? `  \n  **Fix:** ${md(c.hint)}` : ''}${c.action ? `  \n  *Button:* ${ACTION_TITLES[c.action]}` : ''}`);
  }
  const placed = new Set<DoctorCheck>();
  for (const [title, match] of SECTIONS) {
    const checks = r.checks.filter((c) => match(c.id));
    if (!checks.length) continue;
    out.push('', `## ${title}`, '');
    for (const c of checks) {
      placed.add(c);
      out.push(`- ${ICON[c.status]} ${md(c.line)}${c.hint && c.status !== 'ok' ? `  \n  ${md(c.hint)}` : ''}`);
    }
  }
  const rest = r.checks.filter((c) => !placed.has(c));
  if (rest.length) out.push('', '## Other', '', ...rest.map((c) => `- ${ICON[c.status]} ${md(c.line)}`));
  out.push('', '---', '', 'The same report in a terminal: `terrarium doctor` (`--json` for scripts).', '');
  return out.join('\n');
}

/** The distinct buttons the failed and warned checks offer, failures first. */
export function doctorActions(r: DoctorReport): DoctorAction[] {
  const order = [...r.checks.filter((c) => c.status === 'fail'), ...r.checks.filter((c) => c.status === 'warn')];
  return [...new Set(order.map((c) => c.action).filter((a): a is DoctorAction => !!a))];
}
