/**
 * Opens a URL in the default browser from a plain terminal (the CLI): $BROWSER when set (as
 * xdg-open reads it: the first of its colon-separated commands, %s standing for the URL), else the
 * platform's opener. Always an argv array, never a shell: the URL holds a token and `&`.
 */
import { spawn } from 'node:child_process';
import { TerrariumError } from '../kube/errors';

export function openerArgv(url: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const browser = env.BROWSER?.split(':').map((s) => s.trim()).find(Boolean);
  if (browser) {
    const words = browser.split(/\s+/);
    return words.some((w) => w.includes('%s')) ? words.map((w) => w.replaceAll('%s', url)) : [...words, url];
  }
  if (platform === 'darwin') return ['open', url];
  // rundll32 takes the URL as one argument; `cmd /c start` would parse its `&`.
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', url];
  return ['xdg-open', url];
}

/** Starts the opener and resolves once it has been started (browsers keep running on their own). */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const argv = openerArgv(url, env);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true, env });
    child.once('error', (e: NodeJS.ErrnoException) => reject(new TerrariumError('NotFound',
      `Could not start ${argv[0]} to open the browser (${e.code ?? e.message}).`,
      'Set BROWSER to your browser\'s command, or open the address yourself.')));
    child.once('spawn', () => { child.unref(); resolve(); });
  });
}
