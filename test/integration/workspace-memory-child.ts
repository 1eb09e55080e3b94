/**
 * Run by workspace-backup.test.ts as its own process, so its peak RSS is the client's alone (the
 * kube-sim in the test process has its own buffers): a small backup warms everything up, then a
 * 200 MB backup to a file and its restore; prints the baseline and the peak RSS as JSON.
 *   node --import tsx workspace-memory-child.ts KUBECONFIG CONTEXT NAMESPACE FROM TO FILE
 */
import { Writable } from 'node:stream';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { backupWorkspace, backupWorkspaceToFile, restoreWorkspace } from '../../src/core/workspace/backup';

async function main(): Promise<void> {
  const [kubeconfigPath, context, namespace, from, to, file] = process.argv.slice(2) as [string, string, string, string, string, string];
  const cluster = openCluster({ kubeconfigPath, context, namespace, env: {} });
  await backupWorkspace(cluster, to, new Writable({ write(_c, _e, cb) { cb(); } }));
  (globalThis as { gc?: () => void }).gc?.();
  const baselineRss = process.memoryUsage().rss;
  const b = await backupWorkspaceToFile(cluster, from, file);
  const r = await restoreWorkspace(cluster, to, file);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ baselineRss, peakRss, backupBytes: b.bytes, restoredBytes: r.bytes })}\n`);
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
