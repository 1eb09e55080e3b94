// env delete forgets the environment on this machine: its config.d file, its target files and its
// sandboxes' host-key pins; other environments' pins (even "web-2" next to "web") and the user's
// ssh config with its Include line stay as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetEnvironmentSsh, isEnvironmentPin } from '../../src/core/ssh/forget';
import { environmentConfigFile, sandboxHostKeyAlias, sshPaths } from '../../src/core/ssh/sshconfig';

test('removes the environment\'s config file and pins only', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-forget-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = sshPaths(join(dir, 'terrarium'));
  mkdirSync(paths.configDir, { recursive: true });
  const web = environmentConfigFile(paths, 'kind-a', 'devenv', 'web');
  const web2 = environmentConfigFile(paths, 'kind-a', 'devenv', 'web-2');
  writeFileSync(web, 'Host terrarium.kind-a.devenv.web-0\n');
  writeFileSync(web2, 'Host terrarium.kind-a.devenv.web-2-0\n');
  const pin = (ctx: string, ns: string, sb: string, uid: string) => `${sandboxHostKeyAlias(ctx, ns, sb, uid)} ssh-ed25519 AAAAC3Nza${uid}`;
  const others = [pin('kind-a', 'devenv', 'web-2-0', 'aaaaaaaa1'), pin('kind-b', 'devenv', 'web-0', 'bbbbbbbb2'), pin('kind-a', 'other', 'web-1', 'cccccccc3')];
  writeFileSync(paths.knownHosts, [pin('kind-a', 'devenv', 'web-0', 'dddddddd4'), others[0], pin('kind-a', 'devenv', 'web-11', 'eeeeeeee5'), ...others.slice(1)].join('\n') + '\n');
  const userConfig = join(dir, 'ssh_config');
  const userText = `# Added by Terrarium\nInclude ${paths.configDir}/*.conf\n\nHost *\n  ServerAliveInterval 30\n`;
  writeFileSync(userConfig, userText);

  const r = forgetEnvironmentSsh(paths.dir, 'kind-a', 'devenv', 'web');
  assert.deepEqual(r, { configFile: web, pins: 2 });
  assert.equal(existsSync(web), false);
  assert.equal(existsSync(web2), true, 'web-2 is another environment');
  assert.equal(readFileSync(paths.knownHosts, 'utf8'), others.join('\n') + '\n');
  assert.equal(readFileSync(userConfig, 'utf8'), userText, 'the user\'s config keeps its Include line');
  assert.deepEqual(forgetEnvironmentSsh(paths.dir, 'kind-a', 'devenv', 'web'), { pins: 0 }, 'a second time: nothing left');
});

test('pins are matched by the whole sandbox name', () => {
  assert.ok(isEnvironmentPin('terrarium.c.ns.web-0.1234abcd', 'c', 'ns', 'web'));
  assert.ok(!isEnvironmentPin('terrarium.c.ns.web-2-0.1234abcd', 'c', 'ns', 'web'));
  assert.ok(isEnvironmentPin('terrarium.c.ns.web-2-0.1234abcd', 'c', 'ns', 'web-2'));
  assert.ok(!isEnvironmentPin('terrarium.c.ns2.web-0.1234abcd', 'c', 'ns', 'web'));
  assert.ok(!isEnvironmentPin('terrarium.c.ns.webx.1234abcd', 'c', 'ns', 'web'));
});
