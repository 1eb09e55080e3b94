// Egress: the NetworkPolicy keeps every special-use range out of the "public internet" rules, in a
// form the API server accepts, and allow-list entries that re-open such ranges are flagged.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { contains, isCidr, parseCidr, type Cidr } from '../../src/core/devenv/cidr';
import { describeEgress, egressAllowWarnings } from '../../src/core/devenv/egress';
import { findManifestsDir, renderEnvironment, validateCidr, validateSpec } from '../../src/core/devenv';
import { substitute } from '../../src/core/devenv/manifests';
import { TerrariumError } from '../../src/core/kube/errors';

type Obj = Record<string, any>;
const netpol = (egressAllow?: string[]) =>
  (renderEnvironment({ name: 'web', ...(egressAllow ? { egressAllow } : {}) }, { namespace: 'devenv' }) as Obj[]).find((o) => o.kind === 'NetworkPolicy')!;
const ipRules = (np: Obj) => (np.spec.egress as Obj[]).filter((r) => r.to?.[0]?.ipBlock?.except);
const worldRule = (np: Obj, cidr: string) => ipRules(np).find((r) => r.to[0].ipBlock.cidr === cidr)?.to[0].ipBlock as { cidr: string; except: string[] } | undefined;
const parsed = (s: string): Cidr => { const c = parseCidr(s); assert.ok(isCidr(c), s); return c; };

describe('the NetworkPolicy keeps special-use ranges out', () => {
  test('IPv4: everything but RFC 1918, shared (100.64/10), link-local/metadata and the other RFC 6890 ranges', () => {
    const v4 = worldRule(netpol(), '0.0.0.0/0');
    assert.ok(v4, 'a 0.0.0.0/0 rule');
    assert.deepEqual([...v4.except].sort(), [
      '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
      '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
    ].sort());
  });

  test('IPv6: everything but unique local, link-local, loopback, multicast and local-use NAT64', () => {
    const v6 = worldRule(netpol(), '::/0');
    assert.ok(v6, 'a ::/0 rule');
    assert.deepEqual([...v6.except].sort(), ['64:ff9b:1::/48', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8'].sort());
  });

  test('the metadata services fall in an excluded range of their family', () => {
    const np = netpol();
    for (const addr of ['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '10.96.0.1', '127.0.0.1', '::1', 'fe80::1']) {
      const a = parsed(addr);
      const rule = worldRule(np, a.family === 4 ? '0.0.0.0/0' : '::/0')!;
      assert.ok(rule.except.some((e) => contains(parsed(e), a)), `${addr} is excluded`);
    }
  });

  test('every except is canonical, of its rule\'s family and strictly inside its cidr (what the API server checks)', () => {
    // networking validation: `except` values must be a strict subset of `cidr` (and, with strict
    // IP/CIDR validation, canonical, no host bits, no IPv4-mapped IPv6).
    for (const r of ipRules(netpol())) {
      const outer = parsed(r.to[0].ipBlock.cidr);
      for (const e of r.to[0].ipBlock.except as string[]) {
        const inner = parsed(e);
        assert.equal(inner.text, e, `${e} is written canonically`);
        assert.ok(contains(outer, inner) && inner.prefix > outer.prefix, `${e} strictly inside ${outer.text}`);
      }
    }
  });

  test('the rendered object is manifests/networkpolicy.yaml as it stands (placeholders filled, nothing else)', () => {
    const file = load(readFileSync(join(findManifestsDir(), 'networkpolicy.yaml'), 'utf8')) as Obj;
    assert.deepEqual(netpol(), substitute(file, { name: 'web', namespace: 'devenv' }));
  });

  test('allow-list entries come after the blocked rules as their own destinations, in canonical form', () => {
    const np = netpol(['10.20.0.0/16', '192.168.1.5', '2001:DB8:0::/32']);
    const extra = (np.spec.egress as Obj[]).slice(3).map((r) => r.to[0].ipBlock.cidr);
    assert.deepEqual(extra, ['10.20.0.0/16', '192.168.1.5/32', '2001:db8::/32']);
  });
});

describe('allow-list entries are CIDRs Kubernetes reads one way only', () => {
  const refused = (v: string) => {
    try { validateCidr(v); } catch (e) { assert.ok(e instanceof TerrariumError && e.code === 'InvalidInput'); return e; }
    assert.fail(`${v} was accepted`);
  };

  test('host bits after the prefix: refused, with the block to write instead', () => {
    const e = refused('10.1.2.5/16');
    assert.match(e.message, /"10.1.2.5\/16" has bits set after its prefix length/);
    assert.match(e.hint!, /10\.1\.0\.0\/16/);
  });

  test('IPv4-mapped IPv6 is refused with its IPv4 form; zone ids, leading zeros and junk are not CIDRs', () => {
    assert.match(refused('::ffff:169.254.169.254').hint!, /169\.254\.169\.254/);
    for (const v of ['fe80::1%eth0', '010.0.0.1', '10.0.0.0/8/8', '10.0.0.0/08', 'example.com', '', '10.0.0.0/', '1.2.3.4/-1']) {
      assert.match(refused(v).message, /is not a CIDR/, v);
    }
  });

  test('the usual forms pass', () => {
    for (const v of ['10.1.0.0/16', '192.168.0.7', '2001:db8::/32', '::/0', '0.0.0.0/0', 'fd00:ec2::254']) validateCidr(v);
    validateSpec({ name: 'web', egressAllow: ['10.1.0.0/16', '2001:db8::1'] });
  });
});

describe('egressAllowWarnings', () => {
  const kinds = (entries: string[]) => egressAllowWarnings(entries).map((w) => [w.entry, w.kind]);

  test('private, shared and unique-local ranges', () => {
    assert.deepEqual(kinds(['10.0.0.0/8', '172.20.1.0/24', '192.168.1.5', '100.64.0.0/16', 'fd12:3456::/32']), [
      ['10.0.0.0/8', 'private'], ['172.20.1.0/24', 'private'], ['192.168.1.5', 'private'], ['100.64.0.0/16', 'private'], ['fd12:3456::/32', 'private'],
    ]);
    // All of 100.64.0.0/10 includes Alibaba's metadata address, so that is what it is flagged for.
    assert.deepEqual(kinds(['100.64.0.0/10']), [['100.64.0.0/10', 'metadata']]);
  });

  test('metadata services and link-local', () => {
    assert.deepEqual(kinds(['169.254.169.254', '169.254.169.254/32', '169.254.0.0/16', '100.100.100.200', 'fd00:ec2::254', '169.254.1.1', 'fe80::/64']), [
      ['169.254.169.254', 'metadata'], ['169.254.169.254/32', 'metadata'], ['169.254.0.0/16', 'metadata'], ['100.100.100.200', 'metadata'],
      ['fd00:ec2::254', 'metadata'], ['169.254.1.1', 'link-local'], ['fe80::/64', 'link-local'],
    ]);
  });

  test('the whole internet, either family', () => {
    const w = egressAllowWarnings(['0.0.0.0/0', '::/0']);
    assert.deepEqual(w.map((x) => x.kind), ['everything', 'everything']);
    assert.match(w[0]!.message, /every IPv4 address/);
    assert.match(w[1]!.message, /every IPv6 address/);
  });

  test('a wide block that covers sensitive ranges is flagged by the worst of them, naming the others', () => {
    const [w] = egressAllowWarnings(['128.0.0.0/1']);
    assert.equal(w!.kind, 'metadata');
    assert.deepEqual(w!.ranges.map((r) => r.cidr), ['169.254.169.254/32', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '192.0.0.0/24', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4']);
    assert.match(w!.message, /^128\.0\.0\.0\/1 opens the cloud metadata service .*\(169\.254\.169\.254\/32\), also 169\.254\.0\.0\/16, 172\.16\.0\.0\/12/);
  });

  test('public addresses and blocks are not flagged; invalid entries are left to validation', () => {
    assert.deepEqual(egressAllowWarnings(['140.82.112.0/20', '8.8.8.8', '2001:db8::/32', '2606:4700::/32', 'not-a-cidr', '10.1.2.5/16']), []);
  });

  test('the summary names the allow-list', () => {
    assert.match(describeEgress([]), /no allow-list entries/);
    assert.match(describeEgress(['10.1.0.0/16', '140.82.112.0/20']), /allow-list: 10\.1\.0\.0\/16, 140\.82\.112\.0\/20$/);
  });
});
