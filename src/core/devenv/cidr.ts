import { isIP } from 'node:net';

/** An address block parsed to numbers, so blocks can be compared whatever way they were written. */
export interface Cidr {
  family: 4 | 6;
  /** The first address of the block. */
  base: bigint;
  prefix: number;
  /** "10.1.0.0/16", "2001:db8::/32": the canonical text (RFC 5952 for IPv6). */
  text: string;
}

/** Why a text is not an address block Kubernetes accepts unambiguously; undefined when it is one. */
export type CidrProblem =
  | { kind: 'syntax' }
  | { kind: 'host-bits'; network: string }
  | { kind: 'ipv4-mapped'; ipv4: string };

const bitsOf = (family: 4 | 6) => (family === 4 ? 32 : 128);

function v4ToBigint(addr: string): bigint {
  return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBigint(addr: string): bigint {
  let text = addr.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4ToBigint(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

/** RFC 5952: lowercase, no leading zeros, the longest run (2+) of zero groups as "::". */
function formatV6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatAddress(family: 4 | 6, n: bigint): string {
  return family === 4 ? formatV4(n) : formatV6(n);
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = bitsOf(family);
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/**
 * Parses "10.1.0.0/16", "2001:db8::/32" or a bare address (taken as /32 or /128). Returns the
 * block, or the problem: anything Kubernetes' strict IP/CIDR validation (KEP-4858) would refuse or
 * read two ways is refused here too: host bits beyond the prefix, IPv4-mapped IPv6, zone ids.
 */
export function parseCidr(value: string): Cidr | CidrProblem {
  if (typeof value !== 'string') return { kind: 'syntax' };
  const parts = value.split('/');
  const [addr, bits] = parts;
  if (parts.length > 2 || !addr || addr.includes('%')) return { kind: 'syntax' };
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return { kind: 'syntax' };
  const max = bitsOf(family);
  if (bits !== undefined && !(/^(0|[1-9][0-9]{0,2})$/.test(bits) && Number(bits) <= max)) return { kind: 'syntax' };
  const prefix = bits === undefined ? max : Number(bits);
  const n = family === 4 ? v4ToBigint(addr) : v6ToBigint(addr);
  if (family === 6 && n >> 32n === 0xffffn) {
    const v4 = formatV4(n & 0xffffffffn);
    return { kind: 'ipv4-mapped', ipv4: bits !== undefined && prefix >= 96 ? `${v4}/${prefix - 96}` : v4 };
  }
  const base = n & mask(family, prefix);
  const text = `${formatAddress(family, base)}/${prefix}`;
  if (base !== n) return { kind: 'host-bits', network: text };
  return { family, base, prefix, text };
}

export function isCidr(v: Cidr | CidrProblem): v is Cidr {
  return 'family' in v;
}

/** The last address of the block. */
export function lastAddress(c: Cidr): bigint {
  return c.base | ((1n << BigInt(bitsOf(c.family) - c.prefix)) - 1n);
}

/** True when every address of `inner` is in `outer` (same family). */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && (inner.base & mask(outer.family, outer.prefix)) === outer.base;
}

/** True when the two blocks share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

/** parseCidr for texts known to be valid (constants): throws otherwise. */
export function cidr(value: string): Cidr {
  const c = parseCidr(value);
  if (!isCidr(c)) throw new Error(`Not a canonical CIDR: ${value}`);
  return c;
}
