/** Label and field selectors as the API server parses them (=, ==, !=, in, notin, exists, !exists). */
type Req = (labels: Record<string, string>) => boolean;

export function parseLabelSelector(text: string | null | undefined): Req {
  if (!text) return () => true;
  const reqs: Req[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0, cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpMatchArray | null;
    if ((m = raw.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      reqs.push(op === 'in' ? (l) => key in l && values.includes(l[key]!) : (l) => !(key in l) || !values.includes(l[key]!));
    } else if ((m = raw.match(/^([^\s!=]+)\s*!=\s*(.*)$/))) {
      const [, key, value] = m as unknown as [string, string, string];
      reqs.push((l) => l[key] !== value);
    } else if ((m = raw.match(/^([^\s!=]+)\s*==?\s*(.*)$/))) {
      const [, key, value] = m as unknown as [string, string, string];
      reqs.push((l) => l[key] === value);
    } else if ((m = raw.match(/^!([^\s!=]+)$/))) {
      const key = m[1]!;
      reqs.push((l) => !(key in l));
    } else {
      const key = raw;
      reqs.push((l) => key in l);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}

/** Field selectors: metadata.name, metadata.namespace and the few fields the API supports for pods/events. */
export function parseFieldSelector(text: string | null | undefined): (obj: any) => boolean {
  if (!text) return () => true;
  const reqs = text.split(',').filter(Boolean).map((p) => {
    const neg = p.includes('!=');
    const [path, value] = p.split(neg ? '!=' : /==?/) as [string, string];
    return (obj: any) => {
      const actual = path.trim().split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
      return neg ? String(actual ?? '') !== value : String(actual ?? '') === value;
    };
  });
  return (obj) => reqs.every((r) => r(obj));
}
