/** `terrarium image build`: builds manifests/image with whichever container engine is present. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan, detectEngine, isEngine, ENGINES, onPath } from '../../core/image/engine';
import { probeDaemon, runPlan } from '../../core/image/run';
import { findManifestsDir } from '../../core/devenv/manifests';
import { DEFAULT_IMAGE } from '../../core/devenv/names';
import { TerrariumError } from '../../core/kube/errors';
import { UsageError, type OptionValues } from '../args';
import type { CommandHandler } from '../commandTypes';
import { jsonText, safe } from '../output';
import { version as VERSION } from '../../../package.json';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

export const imageBuildCommand: CommandHandler = async ({ globals, values, usage }, ctx) => {
  const wanted = str(values.engine);
  if (wanted !== undefined && !isEngine(wanted)) throw new UsageError(`--engine takes ${ENGINES.join(', ')}, not ${JSON.stringify(wanted)}.`, usage);
  const engine = await detectEngine(ctx.env, wanted, probeDaemon(ctx.env, ctx.signal),
    (e, why) => ctx.stderr.write(`terrarium: not using ${e}: ${safe(why)}\n`));
  const kindLoad = str(values['kind-load']);
  if (kindLoad !== undefined && !onPath('kind', ctx.env)) {
    throw new TerrariumError('NotFound', 'kind is not installed (not found on PATH), so --kind-load cannot load the image.', 'Install kind, or leave out --kind-load.');
  }
  const tag = str(values.tag) ?? DEFAULT_IMAGE;
  const base = str(values.base);
  const context = str(values.context) ?? join(findManifestsDir(), 'image');
  const tmp = kindLoad && engine !== 'docker' ? mkdtempSync(join(tmpdir(), 'terrarium-image-')) : undefined;
  try {
    const steps = buildPlan({
      engine, context, tag, push: values.push === true, kindLoad, caFile: str(values['ca-file']),
      buildArgs: { VERSION, ...(base ? { BASE: base } : {}) },
      archivePath: tmp && join(tmp, 'image.tar'),
    });
    // Build logs go to stderr, so stdout stays the result (and --json stays one document).
    await runPlan(steps, {
      env: ctx.env, signal: ctx.signal, output: ctx.stderr,
      progress: (s) => ctx.stderr.write(`terrarium: ${s.what}: ${safe(s.argv.join(' '))}\n`),
    });
    if (globals.json) {
      ctx.stdout.write(jsonText({ engine, tag, pushed: values.push === true, kindCluster: kindLoad ?? null, commands: steps.map((s) => s.argv) }));
    } else {
      const done = [`Built ${tag} with ${engine}`, values.push === true ? 'pushed it' : '', kindLoad ? `loaded it into kind cluster "${kindLoad}"` : ''].filter(Boolean);
      ctx.stdout.write(`${done.join(', ')}.\n`);
    }
    return 0;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
};
