import { randomBytes } from 'node:crypto';

/**
 * The one builder of webview HTML. Strict CSP: nothing by default, scripts only with this
 * render's nonce, styles/fonts/images only from the webview's own resource origin; no inline
 * script, no eval, no remote origins. Takes plain strings (cspSource and asWebviewUri results) so
 * it is tested without VS Code.
 */
export interface WebviewPage {
  title: string;
  cspSource: string;
  scriptUri: string;
  /** Stylesheets; an id where a library looks its sheet up (vscode-elements finds codicons by id). */
  styleUris?: (string | { href: string; id: string })[];
  /** data-* attributes on <body>: small values the script reads at start (escaped, never executed). */
  bodyData?: Record<string, string>;
  nonce?: string;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function webviewHtml(page: WebviewPage): string {
  const nonce = page.nonce ?? createNonce();
  const styles = (page.styleUris ?? []).map((u) => typeof u === 'string'
    ? `<link rel="stylesheet" href="${escapeAttr(u)}">`
    : `<link rel="stylesheet" href="${escapeAttr(u.href)}" id="${escapeAttr(u.id)}">`).join('\n    ');
  const data = Object.entries(page.bodyData ?? {})
    .filter(([k]) => /^[a-z][a-z0-9-]*$/.test(k))
    .map(([k, v]) => ` data-${k}="${escapeAttr(v)}"`).join('');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(page.cspSource, nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${escapeAttr(page.title)}</title>
  </head>
  <body${data}>
    <main id="root"></main>
    <script type="module" nonce="${nonce}" src="${escapeAttr(page.scriptUri)}"></script>
  </body>
</html>
`;
}
