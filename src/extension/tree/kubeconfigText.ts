/**
 * Reads the three things the first cluster rows need from a kubeconfig's text (current-context,
 * the contexts with their cluster, the clusters with their server) without a YAML library: js-yaml
 * was a third of dist/extension.js, parsed at every activation. It understands the block style that
 * kubectl, kind, k3s, minikube and the cloud CLIs write (and JSON); anything else in those three
 * sections (anchors, tags, block or multi-line scalars, flow collections, odd keys, a second
 * document) answers undefined, "not sure", and the tree waits for the core's full discovery, which
 * reads the file with a real YAML parser. Sections it does not need (users, preferences…) are
 * skipped by indentation without being read. Unit tested against js-yaml
 * (test/unit/extension-kubeconfig-text.test.ts).
 */

/** What quickContexts needs from one file; a value that is not a string is `null` (as js-yaml's non-strings). */
export interface KubeconfigText {
  current?: string | null;
  contexts: { name: string | null; cluster: string | null }[];
  clusters: { name: string | null; server: string | null }[];
}

/** Not sure: the caller waits for the full discovery. */
class Unsure extends Error {}
const unsure = (): never => { throw new Unsure(); };

// Top-level keys a kubeconfig has (client-go's Config); another key at column 0 is not a kubeconfig we know.
const TOP = new Set(['apiVersion', 'kind', 'preferences', 'clusters', 'users', 'contexts', 'current-context', 'extensions']);

type Node = string | null | NotString | Node[] | { [k: string]: Node };
/** A plain scalar YAML's core schema reads as a number, bool, null or date: never a name. */
class NotString {}
const NOT_STRING = new NotString();

interface Line { indent: number; text: string }

/** undefined: not sure. Throws nothing. */
export function readKubeconfigText(text: string): KubeconfigText | undefined {
  try {
    return read(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    if (e instanceof Unsure || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

function read(text: string): KubeconfigText {
  if (text.trimStart().startsWith('{')) return pick(JSON.parse(text) as Record<string, unknown>);
  const doc: Record<string, Node> = {};
  const lines = text.split(/\r?\n/);
  let seenContent = false;
  for (let i = 0; i < lines.length;) {
    const raw = lines[i]!;
    if (/^\s*(#.*)?$/.test(raw)) { i++; continue; }
    if (/^\t| \t/.test(raw.match(/^[ \t]*/)![0])) unsure(); // tabs in indentation
    if (/^(---|\.\.\.)(\s|$)/.test(raw)) { if (seenContent || raw.startsWith('...')) unsure(); i++; continue; }
    if (raw.startsWith('%') || /^\s/.test(raw) || raw.startsWith('-')) unsure(); // directives, or content before a key
    seenContent = true;
    const m = /^([A-Za-z-]+):(?:[ ]+(.*))?$/.exec(raw);
    if (!m || !TOP.has(m[1]!) || m[1]! in doc) unsure();
    const key = m![1]!, rest = m![2] ?? '';
    // This key's lines: everything up to the next line at column 0 that is not a sequence item.
    let end = i + 1;
    while (end < lines.length && (/^\s*(#.*)?$/.test(lines[end]!) || (/^[ \t-]/.test(lines[end]!) && !/^(---|\.\.\.)(\s|$)/.test(lines[end]!)))) end++;
    if (key === 'current-context' || key === 'contexts' || key === 'clusters') {
      const block: Line[] = [];
      for (const l of lines.slice(i + 1, end)) {
        if (/^\s*(#.*)?$/.test(l)) continue;
        const indent = l.length - l.trimStart().length;
        if (l.slice(0, indent).includes('\t')) unsure();
        block.push({ indent, text: l.slice(indent) });
      }
      if (rest.trim() && !rest.trim().startsWith('#')) {
        if (block.length) unsure(); // a value on the key's line and more lines: a multi-line scalar
        doc[key] = scalar(rest);
      } else {
        const at = { i: 0 };
        doc[key] = block.length ? node(block, at, block[0]!.indent) : null;
        if (at.i !== block.length) unsure();
      }
    } else {
      doc[key] = null; // not needed: skipped unread
    }
    i = end;
  }
  return pick(doc);
}

/** One block node starting at lines[at.i], whose indentation is `indent`. */
function node(lines: Line[], at: { i: number }, indent: number): Node {
  const first = lines[at.i]!;
  if (first.indent !== indent) unsure();
  if (first.text === '-' || first.text.startsWith('- ')) {
    const list: Node[] = [];
    while (at.i < lines.length && lines[at.i]!.indent === indent && (lines[at.i]!.text === '-' || lines[at.i]!.text.startsWith('- '))) {
      const l = lines[at.i]!;
      const rest = l.text.slice(1).trimStart();
      if (!rest || rest.startsWith('#')) {
        at.i++;
        list.push(at.i < lines.length && lines[at.i]!.indent > indent ? node(lines, at, lines[at.i]!.indent) : null);
      } else if (isKey(rest)) {
        // "- name: x": a mapping whose first key sits after the dash.
        lines[at.i] = { indent: indent + (l.text.length - rest.length), text: rest };
        list.push(node(lines, at, lines[at.i]!.indent));
      } else {
        list.push(scalar(rest));
        at.i++;
      }
    }
    return list;
  }
  const map: { [k: string]: Node } = {};
  while (at.i < lines.length && lines[at.i]!.indent === indent) {
    const l = lines[at.i]!;
    if (l.text === '-' || l.text.startsWith('- ')) unsure();
    const m = keyOf(l.text);
    if (!m || Object.prototype.hasOwnProperty.call(map, m.key) || m.key === '<<') unsure();
    at.i++;
    if (m!.rest && !m!.rest.startsWith('#')) {
      map[m!.key] = scalar(m!.rest);
      if (at.i < lines.length && lines[at.i]!.indent > indent) unsure(); // multi-line scalar
    } else if (at.i < lines.length && lines[at.i]!.indent > indent) {
      map[m!.key] = node(lines, at, lines[at.i]!.indent);
    } else if (at.i < lines.length && lines[at.i]!.indent === indent && /^-( |$)/.test(lines[at.i]!.text)) {
      map[m!.key] = node(lines, at, indent); // "key:" then "- item" at the same indentation
    } else {
      map[m!.key] = null;
    }
  }
  if (at.i < lines.length && lines[at.i]!.indent > indent) unsure();
  return map;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s'"#&*!|>{}[\],?%@`-][^:#]*?|-[^\s:#][^:#]*?):(?:[ ]+(.*))?$/;
const isKey = (text: string) => KEY.test(text);
function keyOf(text: string): { key: string; rest: string } | undefined {
  const m = KEY.exec(text);
  if (!m) return undefined;
  const k = m[1]!;
  const key = k.startsWith('"') || k.startsWith("'") ? quoted(k).value : k.trimEnd();
  return { key, rest: (m[2] ?? '').trim() };
}

/** A scalar on one line: quoted, or plain (YAML's core schema: numbers, bools, null and dates are not strings). */
function scalar(text: string): Node {
  const t = text.trim();
  if (t.startsWith('"') || t.startsWith("'")) {
    const { value, after } = quoted(t);
    if (after.trim() && !/^\s+#/.test(after)) unsure();
    return value;
  }
  if (t === '[]') return [];
  if (t === '{}') return {};
  if (/^[&*!|>{}[\]%@`,?]/.test(t) || /^-(\s|$)/.test(t)) unsure();
  const plain = t.replace(/\s+#.*$/, '');
  if (/:(\s|$)/.test(plain) || /\s#/.test(plain)) unsure();
  if (/^(~|null|Null|NULL)?$/.test(plain)) return null;
  if (/^(true|True|TRUE|false|False|FALSE)$/.test(plain)) return NOT_STRING;
  if (/^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return NOT_STRING;
  if (/^(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/.test(plain)) return NOT_STRING;
  if (/^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/.test(plain)) return NOT_STRING;
  return plain;
}

function quoted(t: string): { value: string; after: string } {
  if (t.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'/.exec(t);
    if (!m) unsure();
    return { value: m![1]!.replace(/''/g, "'"), after: t.slice(m![0].length) };
  }
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(t);
  if (!m) unsure();
  // JSON's escapes are YAML's common ones; another (\x41, \e…) is a SyntaxError: not sure.
  return { value: JSON.parse(m![0]) as string, after: t.slice(m![0].length) };
}

/** A name YAML reads as a number, bool or date is too odd to guess about: not sure. */
const str = (v: unknown): string | null => (v instanceof NotString ? unsure() : typeof v === 'string' ? v : null);

function pick(doc: Record<string, unknown>): KubeconfigText {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) unsure();
  const list = (v: unknown): Record<string, unknown>[] => {
    if (v === null || v === undefined) return [];
    if (!Array.isArray(v)) unsure();
    return (v as unknown[]).map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? x as Record<string, unknown> : {}));
  };
  const inner = (x: Record<string, unknown>, k: string, field: string) => {
    const o = x[k];
    return o && typeof o === 'object' && !Array.isArray(o) ? str((o as Record<string, unknown>)[field]) : null;
  };
  return {
    current: doc['current-context'] === undefined ? undefined : str(doc['current-context']),
    contexts: list(doc.contexts).map((c) => ({ name: str(c.name), cluster: inner(c, 'context', 'cluster') })),
    clusters: list(doc.clusters).map((c) => ({ name: str(c.name), server: inner(c, 'cluster', 'server') })),
  };
}
