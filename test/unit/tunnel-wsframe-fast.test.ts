// The upload path's frames (wsFrame.ts, PortForwardSocket) and kube-sim's word-wise unmasking,
// checked against the byte-by-byte definition of RFC 6455 §5.3 at every alignment and length form.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { maskedBinaryFrame, maskedBinaryFrameInPlace, xorMask } from '../../src/core/tunnel/wsFrame';
import { openPortForward } from '../../src/core/tunnel/portForwardSocket';
import { unmaskWordwise } from '../kube-sim/index';

/** The reference: byte i of the payload XOR key[i mod 4]. */
function refMask(data: Uint8Array, key: Uint8Array, phase = 0): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i]! ^= key[(phase + i) & 3]!;
  return out;
}

interface Frame { fin: boolean; opcode: number; masked: boolean; lenForm: 7 | 16 | 64; mask: Buffer; payload: Buffer }

/** Reference parser: every frame in buf, payload unmasked byte by byte. */
function parseFrames(buf: Buffer): Frame[] {
  const frames: Frame[] = [];
  let off = 0;
  while (off < buf.length) {
    const fin = (buf[off]! & 0x80) !== 0;
    const opcode = buf[off]! & 0x0f;
    const masked = (buf[off + 1]! & 0x80) !== 0;
    let len = buf[off + 1]! & 0x7f;
    let lenForm: 7 | 16 | 64 = 7;
    let p = off + 2;
    if (len === 126) { len = buf.readUInt16BE(p); p += 2; lenForm = 16; } else if (len === 127) { len = Number(buf.readBigUInt64BE(p)); p += 8; lenForm = 64; }
    const mask = masked ? Buffer.from(buf.subarray(p, p + 4)) : Buffer.alloc(4);
    if (masked) p += 4;
    assert.ok(p + len <= buf.length, 'frame is complete');
    frames.push({ fin, opcode, masked, lenForm, mask, payload: refMask(buf.subarray(p, p + len), mask) });
    off = p + len;
  }
  return frames;
}

const pattern = (n: number, seed = 7) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff; return b; };
/** Data sizes around every header form: frame payload = 1 channel byte + data. */
const SIZES = [0, 1, 2, 3, 5, 123, 124, 125, 126, 1000, 4093, 65533, 65534, 65535, 65536, 70_001, 262_147];
const formOf = (payload: number) => (payload < 126 ? 7 : payload < 65536 ? 16 : 64);

describe('word-wise masking', () => {
  test('xorMask equals the byte-wise definition at every alignment, phase and length', () => {
    const key = Buffer.from([0x9e, 0x01, 0xff, 0x5a]);
    const lengths = [...Array.from({ length: 41 }, (_, i) => i), 125, 126, 127, 65535, 65536, 70_001];
    for (let offset = 0; offset < 8; offset++) {
      for (const len of lengths) {
        for (let phase = 0; phase < 4; phase++) {
          const backing = pattern(len + offset + 8, offset + len);
          const buf = backing.subarray(offset);
          const start = len % 3;
          const want = Buffer.from(buf);
          want.set(refMask(buf.subarray(start, start + len), key, phase), start);
          xorMask(buf, start, len, key, 0, phase);
          assert.ok(buf.equals(want), `offset ${offset}, length ${len}, phase ${phase}`);
        }
      }
    }
  });

  for (const [name, build] of [
    ['maskedBinaryFrame (copy)', (ch: number, d: Buffer) => maskedBinaryFrame(ch, d)],
    ['maskedBinaryFrameInPlace (header + data masked where it lies)', (ch: number, d: Buffer) => Buffer.concat(maskedBinaryFrameInPlace(ch, d))],
  ] as const) {
    test(`${name}: one final masked binary frame of [channel][data] at every length form and offset`, () => {
      const backing = pattern(300_000);
      const masks = new Set<string>();
      for (const n of SIZES) {
        for (const offset of [0, 1, 2, 3]) {
          const data = Buffer.from(backing.subarray(offset, offset + n)); // copied: the in-place form changes it
          const view = backing.subarray(offset, offset + n);
          const src = offset % 2 ? data : Buffer.concat([Buffer.alloc(offset), data]).subarray(offset); // odd byteOffsets too
          const [f, ...rest] = parseFrames(build(offset & 1, src));
          assert.equal(rest.length, 0);
          assert.ok(f!.fin && f!.opcode === 2 && f!.masked, `data ${n}: FIN, binary, masked`);
          assert.equal(f!.lenForm, formOf(n + 1), `data ${n}: length form`);
          assert.notDeepEqual(f!.mask, Buffer.alloc(4));
          assert.ok(f!.payload.equals(Buffer.concat([Buffer.from([offset & 1]), view])), `data ${n} at offset ${offset} unmasks to channel + data`);
          masks.add(f!.mask.toString('hex'));
        }
      }
      assert.ok(masks.size > SIZES.length * 4 - 3, 'a fresh mask per frame');
    });
  }

  test('maskedBinaryFrame leaves the caller\'s buffer as it was', () => {
    const data = pattern(70_001);
    const copy = Buffer.from(data);
    maskedBinaryFrame(0, data);
    assert.ok(data.equals(copy));
  });
});

describe('PortForwardSocket frames on the wire', () => {
  let server: http.Server;
  let port: number;
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  before(async () => {
    server = http.createServer((_q, res) => { res.writeHead(404); res.end(); });
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, 'Sec-WebSocket-Protocol: v4.channel.k8s.io', '', ''].join('\r\n'));
      sockets.add(socket);
      socket.on('data', (d: Buffer) => received.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  for (const ownsWrites of [false, true]) {
    test(`writes queued together arrive in order as masked frames (ownsWrites: ${ownsWrites})`, async () => {
      received.length = 0;
      const kc = { getCurrentCluster: () => ({ server: `http://127.0.0.1:${port}` }), applyToHTTPSOptions: async () => {} };
      const sock = await openPortForward(kc, { namespace: 'devenv', pod: 'web-0', port: 2222 }, { ownsWrites });
      const chunks = SIZES.filter((n) => n > 0).map((n, i) => randomBytes(n + i).subarray(i));
      const want = chunks.map((c) => Buffer.from(c));
      // Written back to back, without waiting: later chunks queue and leave through _writev.
      let last: Promise<void> = Promise.resolve();
      for (const c of chunks) last = new Promise<void>((res, rej) => sock.write(c, (e) => (e ? rej(e) : res())));
      await last;
      const total = want.reduce((n, c) => n + c.length, 0);
      const deadline = Date.now() + 20_000;
      const data = () => parseFramesSafe(Buffer.concat(received)).filter((f) => f.opcode === 2);
      while (data().reduce((n, f) => n + f.payload.length - 1, 0) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      sock.destroy();
      const frames = data();
      assert.equal(frames.length, chunks.length, 'one frame per write');
      frames.forEach((f, i) => {
        assert.ok(f.masked);
        assert.ok(f.payload.equals(Buffer.concat([Buffer.from([0]), want[i]!])), `frame ${i}`);
      });
      if (!ownsWrites) chunks.forEach((c, i) => assert.ok(c.equals(want[i]!), `write ${i} is unchanged for its caller`));
    });
  }
});

/** Frames complete so far (the tail may still be arriving). */
function parseFramesSafe(buf: Buffer): Frame[] {
  let end = 0;
  for (let off = 0; off + 2 <= buf.length;) {
    let len = buf[off + 1]! & 0x7f, p = off + 2;
    if (len === 126) { if (p + 2 > buf.length) break; len = buf.readUInt16BE(p); p += 2; } else if (len === 127) { if (p + 8 > buf.length) break; len = Number(buf.readBigUInt64BE(p)); p += 8; }
    if (buf[off + 1]! & 0x80) p += 4;
    if (p + len > buf.length) break;
    end = off = p + len;
  }
  // Skip the server's handshake-free start: the client never receives, so every byte here is a client frame.
  return end ? parseFrames(buf.subarray(0, end)) : [];
}

describe('kube-sim unmasks client frames word-wise', () => {
  test('messages of every length form, split and coalesced by TCP, arrive intact', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    const patched: boolean[] = [];
    const got: Buffer[] = [];
    wss.on('connection', (ws) => {
      patched.push(unmaskWordwise(ws));
      ws.on('message', (d: Buffer) => got.push(Buffer.from(d)));
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
    await new Promise<void>((r, j) => { client.once('open', () => r()); client.once('error', j); });
    const sent = [...SIZES.filter((n) => n > 0), 1 << 20, 3].map((n, i) => pattern(n, i));
    for (const s of sent) client.send(s, { binary: true }); // ws masks byte-wise with fresh keys: the reference
    const deadline = Date.now() + 20_000;
    while (got.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    client.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    assert.deepEqual(patched, [true], 'ws internals are as expected: the word-wise path is on');
    assert.equal(got.length, sent.length);
    got.forEach((g, i) => assert.ok(g.equals(sent[i]!), `message ${i} (${sent[i]!.length} bytes)`));
  });
});
