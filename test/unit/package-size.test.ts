/**
 * The .vsix as `npm run package` builds it stays small (issue 13: ≤ 600 KB as vsce reports it, K8s Tools' is 1.95 MB):
 * one copy of the core and client-node (dist/cli.js, which the extension loads), none of
 * client-node's generated API clients, no source maps. Builds into a temp folder (dist/ is rebuilt,
 * as `npm run package` does); a minute or two on a busy machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { KB, TARGETS, zipEntries } from '../bench/package.bench';

const ROOT = join(__dirname, '..', '..');

/**
 * One file's text from the zip, found through the central directory (local headers may carry no
 * sizes: entries written with a data descriptor); stored deflated (method 8) or plain (0).
 */
function zipText(file: string, name: string): string {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  assert.ok(eocd >= 0, `${file} is not a zip file`);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = buf.readUInt16LE(eocd + 10); n > 0; n--) {
    const method = buf.readUInt16LE(p + 10), size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    if (buf.toString('utf8', p + 46, p + 46 + nameLen) === name) {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${name} is not in ${file}`);
}

test(`the .vsix is at most ${TARGETS.vsixBytes / KB} KB (as vsce counts: 1 KB = 1,024 bytes), with one copy of client-node and no source maps`, { timeout: 900_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-vsix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vsix = join(dir, 'terrarium.vsix');
  for (const [cmd, args] of [
    [process.execPath, ['esbuild.mjs']],
    [process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix]],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  }
  const bytes = statSync(vsix).size;
  t.diagnostic(`.vsix: ${bytes} bytes`);
  assert.ok(bytes <= TARGETS.vsixBytes, `the .vsix is ${bytes} bytes, over ${TARGETS.vsixBytes}`);

  const names = zipEntries(vsix).map((e) => e.name);
  assert.deepEqual(names.filter((n) => n.endsWith('.map')), [], 'no source maps');
  assert.ok(names.includes('extension/dist/cli.js') && names.includes('extension/dist/extension.js'));
  assert.ok(!names.includes('extension/dist/extension-core.js'), 'the extension loads the core from dist/cli.js, not a second bundle');

  const cli = zipText(vsix, 'extension/dist/cli.js');
  const extension = zipText(vsix, 'extension/dist/extension.js');
  // The extension's core comes from cli.js (src/extension/core.ts requires it): extension.js has no client-node.
  assert.match(cli, /kubernetes-client-javascript\//, 'client-node (its User-Agent) is in dist/cli.js');
  assert.doesNotMatch(extension, /kubernetes-client-javascript\//, 'dist/extension.js has no copy of client-node');
  // None of the generated API clients (their request factories) nor the model serializer's type map.
  assert.doesNotMatch(cli, /RequestFactory|V1PodSpec/, 'no generated API client or model in dist/cli.js');
});
