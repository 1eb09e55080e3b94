/**
 * `npm run sim -- --kubeconfig FILE [--port N] [--tls] [--sample] [--users alice,bob] [--admins carol]`:
 * kube-sim standalone, until interrupted (Ctrl-C). With --users/--admins, the kubeconfig gets one
 * context per user (named after the user, a bearer token each) besides the admin context `kube-sim`
 * (system:masters); --users are in the group terrarium-users, --admins in terrarium-admins, which
 * hold what the platform's Roles give them (--sample installs the platform in namespace devenv and
 * runs the Terrarium controller, so a user's claim grants exec on their sandbox only).
 * Users imply --tls (kubectl and client-go send tokens over TLS only).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startKubeSim } from './index';
import { installSamplePlatform } from './sample';

const USAGE = 'usage: npm run sim -- --kubeconfig FILE [--port N] [--tls] [--sample] [--users NAME,NAME...] [--admins NAME,NAME...]';
const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, port: { type: 'string' }, tls: { type: 'boolean' }, sample: { type: 'boolean' }, users: { type: 'string' }, admins: { type: 'string' } } });
const names = (list: string | undefined) => (list ?? '').split(',').map((u) => u.trim()).filter(Boolean);
const admins = names(values.admins);
const users = [...names(values.users), ...admins];
if (!values.kubeconfig || new Set(users).size !== users.length || users.some((u) => !/^[a-z0-9]([-a-z0-9.@_]*[a-z0-9])?$/i.test(u) || u === 'kube-sim')) {
  console.error(USAGE);
  process.exit(2);
}
async function main(): Promise<void> {
  // client-go sends bearer tokens over TLS only: users need it.
  const sim = await startKubeSim({ port: values.port ? Number(values.port) : 0, tls: values.tls || users.length > 0, sample: values.sample });
  // Ctrl-C, even while the sample starts: the sample's controller stops first (sim.stop), then the API server.
  let stopping = false;
  const stop = async () => { if (stopping) return; stopping = true; await sim.stop(); process.exit(0); };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const file = resolve(values.kubeconfig!);
  for (const u of users) sim.users.add(u, [admins.includes(u) ? 'terrarium-admins' : 'terrarium-users']);
  sim.writeKubeconfig(file, { namespace: 'devenv', users });
  console.log(`kube-sim ready at ${sim.url}; kubeconfig written to ${file}${users.length ? ` (contexts: kube-sim (admin), ${users.join(', ')})` : ''}`);
  if (values.sample) {
    await installSamplePlatform(sim);
    // Claims take Ready sandboxes only: say "sample" once its sandboxes (restarted by the VSO sample's first sync) are.
    await sim.waitRolledOut('devenv', 'sample', 180_000);
    console.log('sample: namespace devenv with the Terrarium platform (claims enforced), the controller running, environment "sample" Ready');
  }
}
void main().catch((e) => { console.error(`kube-sim: ${e instanceof Error ? e.message : e}`); process.exit(1); });
