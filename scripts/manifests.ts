/**
 * Regenerates the manifests rendered from code: manifests/rbac.yaml from the operation table
 * (src/core/kube/ops.ts via src/core/platform/roles.ts). `npm run manifests`; `--check` exits 1
 * when a file differs from its rendering instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRbacYaml } from '../src/core/platform/roles';

const root = join(__dirname, '..');
const files: Record<string, () => string> = { 'manifests/rbac.yaml': renderRbacYaml };
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, render] of Object.entries(files)) {
  const path = join(root, file);
  const want = render();
  let have: string | undefined;
  try { have = readFileSync(path, 'utf8'); } catch { have = undefined; }
  if (have === want) continue;
  if (check) { stale++; process.stderr.write(`${file} differs from its rendering: run npm run manifests\n`); continue; }
  writeFileSync(path, want);
  process.stdout.write(`wrote ${file}\n`);
}
process.exitCode = stale ? 1 : 0;
