/**
 * `terrarium open SANDBOX --browser`: VS Code in the default browser, from a plain terminal. Starts
 * a VS Code server in the sandbox (core/browser), forwards it to 127.0.0.1 here, opens the browser
 * with the tokened URL (argv, no shell), and runs until Ctrl-C or idle, then stops the server.
 * The token is printed only when no browser could be started (then the person needs the URL).
 */
import type { CommandHandler } from '../commandTypes';
import { clusterFrom, portOption, usageError } from './ssh-common';

export const openCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const sandbox = positionals[0]!;
  if (!values.browser) throw usageError('Say how to open it: --browser (VS Code in your browser). For a terminal: terrarium ssh SANDBOX; for VS Code: Remote-SSH with terrarium ssh-config ENV.', usage);
  const idleText = values.idle as string | undefined;
  const idleMin = idleText === undefined ? undefined : Number(idleText);
  if (idleMin !== undefined && (!/^\d+(\.\d+)?$/.test(idleText!) || !Number.isFinite(idleMin))) {
    throw usageError(`--idle must be a number of minutes (0: never), not "${idleText}".`, usage);
  }
  const localPort = portOption(values['local-port'] as string | undefined, 'local-port', 0, usage);
  const { validateSandboxName } = await import('../../core/devenv/validate');
  validateSandboxName(sandbox);
  const cluster = await clusterFrom(globals, ctx.env, ctx.stderr);
  const browser = await import('../../core/browser');
  const say = (line: string) => { if (!globals.json) ctx.stderr.write(`terrarium: ${line}\n`); };

  const install = values['install-server'] as string | undefined;
  if (install) {
    say(`copying ${install} into ${sandbox}'s workspace`);
    const { bytes } = await browser.installServer(cluster, sandbox, install, { signal: ctx.signal });
    say(`installed the VS Code server (${(bytes / 1e6).toFixed(1)} MB) into ${browser.WORKSPACE_SERVER_DIR}`);
  }

  const session = await browser.startBrowserSession(cluster, {
    sandbox, localPort, signal: ctx.signal, idleMs: idleMin === undefined ? undefined : Math.round(idleMin * 60_000), progress: say,
  });
  session.on('warning', (w: string) => say(w));
  session.on('forward', (st: import('../../core/tunnel/localForward').ForwardState) => {
    if (st.kind === 'reconnecting' && st.attempt === 1) say(`reconnecting: ${st.reason}`);
    if (st.kind === 'error') say(st.error.text);
  });

  let opened = true;
  if (!values['no-open']) {
    try {
      await browser.openInBrowser(session.url, ctx.env);
    } catch (e) {
      opened = false;
      say(e instanceof Error ? e.message : String(e));
    }
  }
  const idle = idleMin === 0 ? 'no idle stop' : `stops after ${idleMin ?? browser.DEFAULT_IDLE_MS / 60_000} min without a browser tab`;
  if (globals.json) {
    ctx.stdout.write(JSON.stringify({ sandbox, address: session.address, localPort: session.localPort, opened: opened && !values['no-open'] }) + '\n');
  } else if (opened && !values['no-open']) {
    ctx.stdout.write(`VS Code for ${sandbox} in your browser: ${session.address} (Ctrl-C stops it; ${idle})\n`);
  } else {
    // Nothing opened it: the person needs the token to get in. This terminal is theirs.
    ctx.stdout.write(`VS Code for ${sandbox}: open ${session.url} (Ctrl-C stops it; ${idle})\n`);
  }
  const reason = await session.ended;
  if (reason === 'idle') say(`stopped ${sandbox}'s VS Code server: no browser tab for ${idleMin ?? browser.DEFAULT_IDLE_MS / 60_000} min`);
  return 0;
};
