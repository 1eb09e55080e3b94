/**
 * `npm run sim -- --kubeconfig FILE [--port N] [--tls] [--sample] [--users alice,bob]`: kube-sim
 * standalone, until interrupted. With --users, the kubeconfig gets one context per user (named
 * after the user, a bearer token each) besides the admin context `kube-sim` (system:masters);
 * the users hold no rights until a RoleBinding grants them some. --users implies --tls (kubectl
 * and client-go send tokens over TLS only).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startKubeSim } from './index';

const USAGE = 'usage: npm run sim -- --kubeconfig FILE [--port N] [--tls] [--sample] [--users NAME,NAME...]';
const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, port: { type: 'string' }, tls: { type: 'boolean' }, sample: { type: 'boolean' }, users: { type: 'string' } } });
const users = (values.users ?? '').split(',').map((u) => u.trim()).filter(Boolean);
if (!values.kubeconfig || users.some((u) => !/^[a-z0-9]([-a-z0-9.@_]*[a-z0-9])?$/i.test(u) || u === 'kube-sim')) {
  console.error(USAGE);
  process.exit(2);
}
async function main(): Promise<void> {
  // client-go sends bearer tokens over TLS only: users need it.
  const sim = await startKubeSim({ port: values.port ? Number(values.port) : 0, tls: values.tls || users.length > 0, sample: values.sample });
  const file = resolve(values.kubeconfig!);
  sim.writeKubeconfig(file, { namespace: 'devenv', users });
  console.log(`kube-sim ready at ${sim.url}; kubeconfig written to ${file}${users.length ? ` (contexts: kube-sim (admin), ${users.join(', ')})` : ''}`);
  const stop = async () => { await sim.stop(); process.exit(0); };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
void main().catch((e) => { console.error(`kube-sim: ${e instanceof Error ? e.message : e}`); process.exit(1); });
