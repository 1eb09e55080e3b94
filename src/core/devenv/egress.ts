/**
 * What the egress allow-list opens. The NetworkPolicy lets sandboxes reach DNS and public addresses
 * only; every allow-list entry is an extra `to`, and an entry over a blocked range re-opens it
 * (NetworkPolicy rules are a union). So entries that reach the cluster's own network, a cloud's
 * metadata service (instance credentials) or everything are flagged for a person to confirm.
 */
import { cidr, isCidr, overlaps, parseCidr, type Cidr } from './cidr';

/** Most severe first. */
export const EGRESS_WARNING_KINDS = ['everything', 'metadata', 'link-local', 'private', 'special-use'] as const;
export type EgressWarningKind = typeof EGRESS_WARNING_KINDS[number];

interface Sensitive { cidr: Cidr; kind: EgressWarningKind; what: string }

const S = (text: string, kind: EgressWarningKind, what: string): Sensitive => ({ cidr: cidr(text), kind, what });

/** Ranges an allow-list entry should not open without a person saying so. */
export const SENSITIVE_RANGES: readonly Sensitive[] = [
  S('169.254.169.254/32', 'metadata', 'the cloud metadata service (AWS, GCP, Azure, OCI): node credentials'),
  S('100.100.100.200/32', 'metadata', 'the Alibaba Cloud metadata service'),
  S('fd00:ec2::254/128', 'metadata', 'the AWS metadata service over IPv6'),
  S('169.254.0.0/16', 'link-local', 'IPv4 link-local addresses'),
  S('fe80::/10', 'link-local', 'IPv6 link-local addresses'),
  S('10.0.0.0/8', 'private', 'private addresses (RFC 1918): pods, nodes and services of the cluster network'),
  S('172.16.0.0/12', 'private', 'private addresses (RFC 1918)'),
  S('192.168.0.0/16', 'private', 'private addresses (RFC 1918)'),
  S('100.64.0.0/10', 'private', 'shared address space (RFC 6598), used by many clusters for pods and services'),
  S('fc00::/7', 'private', 'IPv6 unique local addresses'),
  S('0.0.0.0/8', 'special-use', '"this network"'),
  S('127.0.0.0/8', 'special-use', 'loopback'),
  S('192.0.0.0/24', 'special-use', 'IETF protocol assignments'),
  S('198.18.0.0/15', 'special-use', 'benchmarking addresses'),
  S('224.0.0.0/4', 'special-use', 'multicast'),
  S('240.0.0.0/4', 'special-use', 'reserved addresses and broadcast'),
  S('::1/128', 'special-use', 'IPv6 loopback'),
  S('ff00::/8', 'special-use', 'IPv6 multicast'),
  S('64:ff9b:1::/48', 'special-use', 'local-use IPv4/IPv6 translation (may lead to private IPv4 addresses)'),
];

export interface EgressWarning {
  /** The allow-list entry as written. */
  entry: string;
  /** Its canonical block, e.g. "169.254.169.254/32". */
  cidr: string;
  /** The most severe kind among `ranges`. */
  kind: EgressWarningKind;
  /** The sensitive ranges the entry opens (fully or partly). */
  ranges: { cidr: string; kind: EgressWarningKind; what: string }[];
  /** One line for people. */
  message: string;
}

const rank = (k: EgressWarningKind) => EGRESS_WARNING_KINDS.indexOf(k);

/**
 * Warnings for allow-list entries that open private, link-local, metadata or other special-use
 * addresses, or everything. Pure; entries that are not CIDRs are skipped (validateCidr rejects them).
 */
export function egressAllowWarnings(entries: readonly string[]): EgressWarning[] {
  const out: EgressWarning[] = [];
  for (const entry of entries) {
    const c = parseCidr(entry);
    if (!isCidr(c)) continue;
    if (c.prefix === 0) {
      out.push({
        entry, cidr: c.text, kind: 'everything', ranges: [{ cidr: c.text, kind: 'everything', what: `every ${c.family === 4 ? 'IPv4' : 'IPv6'} address` }],
        message: `${entry} opens every ${c.family === 4 ? 'IPv4' : 'IPv6'} address, including the cluster network and the cloud metadata service.`,
      });
      continue;
    }
    const hits = SENSITIVE_RANGES.filter((s) => overlaps(s.cidr, c))
      .map((s) => ({ cidr: s.cidr.text, kind: s.kind, what: s.what }))
      .sort((a, b) => rank(a.kind) - rank(b.kind));
    if (!hits.length) continue;
    const kind = hits[0]!.kind;
    // Name the most severe range first; the rest only by block, so the line stays short.
    const more = hits.slice(1).map((h) => h.cidr);
    out.push({
      entry, cidr: c.text, kind, ranges: hits,
      message: `${entry} opens ${hits[0]!.what} (${hits[0]!.cidr})${more.length ? `, also ${more.join(', ')}` : ''}.`,
    });
  }
  return out;
}

/** What sandboxes may reach, for a confirmation or a summary line. */
export function describeEgress(allow: readonly string[]): string {
  const base = 'DNS and public internet addresses (private, link-local, metadata and other special-use ranges blocked)';
  return allow.length ? `${base}, plus the allow-list: ${allow.join(', ')}` : `${base}; no allow-list entries`;
}
