/** `terrarium doctor`: what blocks using Terrarium here, each failed check with its fix. Exit 0 only when nothing blocks. */
import { runDoctor, type DoctorCheck } from '../../core/platform/doctor';
import { clusterFor } from '../cluster';
import type { CommandHandler } from '../commandTable';
import { jsonText, safe } from '../output';

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skipped: 'skip' };

export const doctorCommand: CommandHandler = async ({ globals }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const report = await runDoctor(cluster, { signal: ctx.signal, now: ctx.now });
  if (globals.json) { ctx.stdout.write(jsonText(report)); return report.ok ? 0 : 1; }
  const out = [`Context ${safe(report.context)}, namespace ${safe(report.namespace)}${report.server ? `, ${safe(report.server)}` : ''}`, ''];
  for (const c of report.checks) {
    out.push(`[${MARK[c.status]}] ${safe(c.line)}`);
    if (c.hint && c.status !== 'ok') out.push(`       ${safe(c.hint)}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  out.push('', failed ? `${failed} ${failed === 1 ? 'problem blocks' : 'problems block'} using Terrarium here.` : 'Nothing blocks using Terrarium here.');
  ctx.stdout.write(out.join('\n') + '\n');
  return report.ok ? 0 : 1;
};
