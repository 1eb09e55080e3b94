// RFC 6455 §5.3: a client masks every frame with a fresh, unpredictable 32-bit key. A raw server
// (its own handshake, its own frame parser) captures the masks the port-forward stream sends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { openPortForward } from '../../src/core/tunnel/portForwardSocket';
import { maskInPlace } from '../../src/core/tunnel/wsFrame';

interface Frame { opcode: number; masked: boolean; mask: Buffer; payload: Buffer }

/** Parses client frames off a socket as they arrive (no fragmentation, lengths up to 2^32). */
function frameReader(socket: Socket, onFrame: (f: Frame) => void): void {
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0]! & 0x0f;
      const masked = (buf[1]! & 0x80) !== 0;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const maskLen = masked ? 4 : 0;
      if (buf.length < off + maskLen + len) return;
      const mask = masked ? Buffer.from(buf.subarray(off, off + 4)) : Buffer.alloc(4);
      const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      buf = buf.subarray(off + maskLen + len);
      onFrame({ opcode, masked, mask, payload });
    }
  });
}

describe('port-forward WebSocket frames', () => {
  let server: http.Server;
  let port: number;
  const frames: Frame[] = [];
  const sockets = new Set<Socket>();

  before(async () => {
    server = http.createServer((_req, res) => { res.writeHead(404); res.end(); });
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`, 'Sec-WebSocket-Protocol: v4.channel.k8s.io', '', ''].join('\r\n'));
      sockets.add(socket);
      frameReader(socket, (f) => frames.push(f));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('every frame is masked with a fresh non-zero key, and unmasks to the data written', async () => {
    const kc = { getCurrentCluster: () => ({ server: `http://127.0.0.1:${port}` }), applyToHTTPSOptions: async () => {} };
    const sock = await openPortForward(kc, { namespace: 'devenv', pod: 'web-0', port: 2222 });
    // Sizes around each header form (7-, 16- and 64-bit lengths), and odd offsets into a shared buffer.
    const sizes = [0, 1, 3, 124, 125, 126, 1000, 4093, 65533, 65534, 65535, 70_000, 262_145];
    const backing = Buffer.alloc(300_000);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + 7) & 0xff;
    const writes = sizes.flatMap((n, i) => [Buffer.from(backing.subarray(i, i + n)), backing.subarray(i * 3 + 1, i * 3 + 1 + n)]).filter((b) => b.length);
    for (const w of writes) await new Promise<void>((resolve, reject) => sock.write(w, (e) => (e ? reject(e) : resolve())));
    const deadline = Date.now() + 20_000;
    while (frames.filter((f) => f.opcode === 2).length < writes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    sock.destroy();

    const data = frames.filter((f) => f.opcode === 2);
    assert.equal(data.length, writes.length);
    data.forEach((f, i) => {
      assert.ok(f.masked, `frame ${i} has the MASK bit`);
      assert.notDeepEqual(f.mask, Buffer.alloc(4), `frame ${i} mask is not zero`);
      assert.deepEqual(f.payload, Buffer.concat([Buffer.from([0]), writes[i]!]), `frame ${i} is channel 0 + the bytes written`);
    });
    const distinct = new Set(data.map((f) => f.mask.toString('hex')));
    assert.equal(distinct.size, data.length, 'a fresh mask per frame');
  });

  test('word-wise masking equals the byte-wise definition at every alignment and length', () => {
    for (let offset = 0; offset < 8; offset++) {
      for (let len = 0; len < 41; len++) {
        const backing = Buffer.alloc(64 + offset);
        for (let i = 0; i < backing.length; i++) backing[i] = (i * 13 + 5) & 0xff;
        const buf = backing.subarray(offset);
        const keyAt = 0;
        const start = 4 + (len % 3);
        const want = Buffer.from(buf);
        for (let i = 0; i < len; i++) want[start + i]! ^= buf[keyAt + (i & 3)]!;
        maskInPlace(buf, start, len, keyAt);
        assert.deepEqual(buf, want, `offset ${offset}, length ${len}`);
      }
    }
  });
});
