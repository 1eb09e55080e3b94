/** `terrarium doctor`: what blocks using Terrarium here, each failed check with its fix. Exit 0 only when nothing blocks. */
import { doctorWithoutCluster, runDoctor, type DoctorCheck, type DoctorReport } from '../../core/platform/doctor';
import { TerrariumError } from '../../core/kube/errors';
import { clusterFor } from '../cluster';
import type { CommandHandler } from '../commandTypes';
import { jsonText, safe } from '../output';

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skipped: 'skip' };

/** The report as lines for people (also the VS Code report's plain form). */
export function formatDoctor(report: DoctorReport): string {
  const head = report.context
    ? `Context ${safe(report.context)}, namespace ${safe(report.namespace)}${report.server ? `, ${safe(report.server)}` : ''}`
    : 'No cluster';
  const out = [head, ''];
  for (const c of report.checks) {
    out.push(`[${MARK[c.status]}] ${safe(c.line)}`);
    if (c.hint && c.status !== 'ok') out.push(`       ${safe(c.hint)}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  out.push('', failed ? `${failed} ${failed === 1 ? 'problem blocks' : 'problems block'} using Terrarium here.` : 'Nothing blocks using Terrarium here.');
  return out.join('\n') + '\n';
}

export const doctorCommand: CommandHandler = async ({ globals }, ctx) => {
  const local = { env: ctx.env };
  let report: DoctorReport;
  try {
    const cluster = clusterFor(globals, ctx);
    report = await runDoctor(cluster, { signal: ctx.signal, now: ctx.now, local });
  } catch (e) {
    // No kubeconfig or no such context is the doctor's first finding, not a crash.
    if (!(e instanceof TerrariumError) || !['NoKubeconfig', 'BadKubeconfig', 'NoContext'].includes(e.code)) throw e;
    report = await doctorWithoutCluster(e, { signal: ctx.signal, local });
  }
  if (globals.json) { ctx.stdout.write(jsonText(report)); return report.ok ? 0 : 1; }
  ctx.stdout.write(formatDoctor(report));
  return report.ok ? 0 : 1;
};
