/**
 * Label and field selectors as the API server parses them.
 *
 * Labels follow k8s.io/apimachinery/pkg/labels/selector.go: a lexer (identifiers, `!`, `=`, `==`,
 * `!=`, `in`, `notin`, `(`, `)`, `,`, `>`, `<`) and the recursive-descent parser, with its error texts
 * ("unable to parse requirement: found '', expected: ',' or ')'"); a malformed selector is 400.
 * Key/value syntax validation (IsQualifiedName) is not repeated here.
 *
 * Fields follow k8s.io/apimachinery/pkg/fields/selector.go (`=`, `==`, `!=`, comma-separated) and
 * each kind's field label conversion: metadata.name and metadata.namespace everywhere, plus the
 * labels pkg/registry/core/{pod,event,secret,namespace}/strategy.go and batch jobs add; anything
 * else is 400 "field label not supported: <label>".
 */
import { badRequest } from './errors';

type Req = (labels: Record<string, string>) => boolean;
type Tok = 'id' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'in' | 'notin' | 'eos';

function lex(text: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  const special = '!=()<>,';
  let i = 0;
  while (true) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= text.length) { out.push({ tok: 'eos', lit: '' }); return out; }
    if (special.includes(text[i]!)) {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '==') { out.push({ tok: two, lit: two }); i += 2; continue; }
      out.push({ tok: text[i] as Tok, lit: text[i]! });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !special.includes(text[j]!) && text[j] !== ' ' && text[j] !== '\t') j++;
    const lit = text.slice(i, j);
    out.push({ tok: lit === 'in' ? 'in' : lit === 'notin' ? 'notin' : 'id', lit });
    i = j;
  }
}

/** Parses a label selector; throws 400 BadRequest with the real parser's message when malformed. */
export function parseLabelSelector(text: string | null | undefined): Req {
  if (!text) return () => true;
  const items = lex(text);
  let pos = 0;
  // In value context, in/notin are identifiers (as the real parser's lookahead(Values)).
  const peek = (values = true) => { const t = items[pos]!; return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id' as Tok, lit: t.lit } : t; };
  const next = (values = true) => { const t = peek(values); pos++; return t; };
  const fail = (m: string) => { throw badRequest(m); };
  const reqs: Req[] = [];
  const requirement = (): Req => {
    let t = next();
    let negate = false;
    if (t.tok === '!') { negate = true; t = next(); }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const after = peek();
    if (after.tok === 'eos' || after.tok === ',') return negate ? (l) => !(key in l) : (l) => key in l;
    if (negate) throw new Error(`found '${after.lit}', expected: '=', '!=', '==', 'in', notin'`);
    const op = next(false);
    if (op.tok === 'in' || op.tok === 'notin') {
      const open = next();
      if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
      const values = new Set<string>();
      if (peek().tok === ')') { next(); values.add(''); } else {
        while (true) {
          const v = next();
          if (v.tok === 'id') {
            values.add(v.lit);
            const t2 = peek();
            if (t2.tok === ',') { next(); continue; }
            if (t2.tok === ')') { next(); break; }
            throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
          } else if (v.tok === ',') {
            values.add('');
            if (peek().tok === ')') { next(); break; }
          } else throw new Error(`found '${v.lit}', expected: ',', or identifier`);
        }
      }
      return op.tok === 'in' ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!);
    }
    if (!['=', '==', '!=', '>', '<'].includes(op.tok)) throw new Error(`found '${op.lit}', expected: '=', '!=', '==', 'in', notin'`);
    let value = '';
    const v = peek();
    if (v.tok !== 'eos' && v.tok !== ',') {
      next();
      if (v.tok !== 'id') throw new Error(`found '${v.lit}', expected: identifier`);
      value = v.lit;
    }
    if (op.tok === '!=') return (l) => l[key] !== value;
    if (op.tok === '>' || op.tok === '<') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`for 'Gt', 'Lt' operators, the value must be an integer`);
      return (l) => key in l && Number.isInteger(Number(l[key])) && (op.tok === '>' ? Number(l[key]) > n : Number(l[key]) < n);
    }
    return (l) => l[key] === value;
  };
  while (true) {
    const t = peek();
    if (t.tok === 'eos') break;
    if (t.tok !== 'id' && t.tok !== '!') fail(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
    try { reqs.push(requirement()); } catch (e) { if (e instanceof Error && !('code' in e)) fail(`unable to parse requirement: ${e.message}`); throw e; }
    const sep = next();
    if (sep.tok === 'eos') break;
    if (sep.tok !== ',') fail(`found '${sep.lit}', expected: ',' or 'end of string'`);
    const t2 = peek();
    if (t2.tok !== 'id' && t2.tok !== '!') fail(`found '${t2.lit}', expected: identifier after ','`);
  }
  return (labels) => reqs.every((r) => r(labels));
}

const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];
/** Field labels each kind converts besides metadata.name/namespace (pkg/registry/.../strategy.go ToSelectableFields). */
const KIND_FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
    'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
    'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Job: ['status.successful'],
  ReplicaSet: ['status.replicas'],
  Node: ['spec.unschedulable'],
};

/** The field labels `kind` supports in field selectors. */
export function supportedFieldLabels(kind: string): string[] {
  return [...COMMON_FIELDS, ...(KIND_FIELDS[kind] ?? [])];
}

function fieldValue(obj: any, path: string): string {
  if (path === 'source') return String(obj?.source?.component ?? obj?.reportingComponent ?? '');
  if (path === 'status.podIPs') return String(obj?.status?.podIP ?? '');
  if (path === 'spec.hostNetwork') return String(obj?.spec?.hostNetwork ?? false);
  if (path === 'status.successful') return String(obj?.status?.succeeded ?? 0);
  const v = path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
  return v == null ? '' : String(v);
}

/** Parses a field selector for `kind`; 400 for syntax errors and labels the kind does not support. */
export function parseFieldSelector(text: string | null | undefined, kind?: string): (obj: any) => boolean {
  if (!text) return () => true;
  const supported = kind ? new Set(supportedFieldLabels(kind)) : undefined;
  const reqs = text.split(',').filter(Boolean).map((p) => {
    const m = p.match(/^([^=!]*?)(!=|==|=)(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${p}'`);
    const [, label, op, value] = m as unknown as [string, string, string, string];
    const path = label.trim();
    if (supported && !supported.has(path)) throw badRequest(`field label not supported: ${path}`);
    const want = value.replace(/\\(.)/g, '$1');
    return (obj: any) => (op === '!=' ? fieldValue(obj, path) !== want : fieldValue(obj, path) === want);
  });
  return (obj) => reqs.every((r) => r(obj));
}
