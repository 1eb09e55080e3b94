/** `npm run sim -- --kubeconfig FILE [--port N] [--tls] [--sample]`: kube-sim standalone, until interrupted. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startKubeSim } from './index';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, port: { type: 'string' }, tls: { type: 'boolean' }, sample: { type: 'boolean' } } });
if (!values.kubeconfig) {
  console.error('usage: npm run sim -- --kubeconfig FILE [--port N] [--tls] [--sample]');
  process.exit(2);
}
async function main(): Promise<void> {
const sim = await startKubeSim({ port: values.port ? Number(values.port) : 0, tls: values.tls, sample: values.sample });
const file = resolve(values.kubeconfig!);
sim.writeKubeconfig(file, { namespace: 'devenv' });
console.log(`kube-sim ready at ${sim.url}; kubeconfig written to ${file}`);
const stop = async () => { await sim.stop(); process.exit(0); };
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
}
void main().catch((e) => { console.error(`kube-sim: ${e instanceof Error ? e.message : e}`); process.exit(1); });
