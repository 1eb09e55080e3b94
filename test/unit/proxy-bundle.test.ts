// dist/proxy.js, the ProxyCommand ssh starts on every connect, stays small: built as esbuild.mjs
// builds it (scripts/proxyBundle.mjs), it holds none of client-node's generated API and model
// classes, no undici, no CLI commands, and it answers as the CLI would (usage errors exit 2, a
// missing target exits 1 with what to do) with nothing on stdout, which is the SSH stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProxy } from '../bench/buildProxy';
import { parseProxyArgs } from '../../src/proxy/main';

/**
 * 512 KiB: what the proxy needs is about 300 KiB minified (ws, client-node's KubeConfig with the
 * exec-plugin and proxy-url agents, Terrarium's kubeconfig discovery, error texts and op table);
 * client-node's models alone are ~370 KiB and the CLI is ~3.4 MiB, so either coming back fails this.
 */
const MAX_BYTES = 512 * 1024;

test('dist/proxy.js: no client-node generated API/models, no undici, no CLI commands, under 512 KiB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-proxy-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { file, metafile } = await buildProxy(dir);
  const output = metafile.outputs[Object.keys(metafile.outputs).find((k) => k.endsWith('proxy.js'))!]!;
  const inputs = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k);
  // gen/apis/exception.js (ApiException, a small error class) may stay; the API classes may not.
  const bad = inputs.filter((i) => /client-node\/dist\/gen\/(models\/|types\/|apis\/.*Api\.js)|node_modules\/undici\/|src\/cli\/commands\/|client-node\/dist\/(watch|log|cp|attach|metrics)\.js/.test(i));
  assert.deepEqual(bad, [], 'none of these in the bundle');
  assert.ok(inputs.some((i) => i.includes('client-node/dist/config.js')), "client-node's own KubeConfig is used (credentials, TLS, exec plugins)");
  const text = readFileSync(file, 'utf8');
  for (const cls of ['V1PodSpec', 'CoreV1ApiRequestFactory', 'ObjectSerializer']) assert.ok(!text.includes(cls), `${cls} is not in dist/proxy.js`);
  const bytes = statSync(file).size;
  assert.ok(bytes < MAX_BYTES, `dist/proxy.js is ${bytes} bytes (limit ${MAX_BYTES})`);

  // It runs as ssh runs it: usage errors and a missing target on stderr only, with the CLI's exit codes.
  const node = (...args: string[]) => spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  const usage = node('--pod', 'x');
  assert.equal(usage.status, 2);
  assert.equal(usage.stdout, '');
  assert.match(usage.stderr, /^terrarium: unexpected argument "--pod"\.\nusage: node proxy\.js --target-dir DIR --target ID/);
  const targets = join(dir, 'targets');
  mkdirSync(targets, { mode: 0o700 });
  const missing = node('--target-dir', targets, '--target', '0123456789abcdef0123456789abcdef');
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /No Terrarium ssh target 0123456789abcdef0123456789abcdef in .*\n {2}Run "terrarium ssh-config ENV --write"/);
});

test('parseProxyArgs: exactly --target-dir and --target, also as --name=value', () => {
  assert.deepEqual(parseProxyArgs(['--target-dir', '/d', '--target', 'abc']), { dir: '/d', id: 'abc' });
  assert.deepEqual(parseProxyArgs(['--target=abc', '--target-dir=/a b']), { dir: '/a b', id: 'abc' });
  assert.throws(() => parseProxyArgs(['--target-dir', '/d']), /both required/);
  assert.throws(() => parseProxyArgs(['--target-dir', '/d', '--target']), /--target needs a value/);
  assert.throws(() => parseProxyArgs(['--target', 'a', '--target', 'b', '--target-dir', '/d']), /given twice/);
  assert.throws(() => parseProxyArgs(['ssh-proxy', '--target', 'a', '--target-dir', '/d']), /unexpected argument "ssh-proxy"/);
});
