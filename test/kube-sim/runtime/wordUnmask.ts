/**
 * kube-sim unmasks the frames clients send 32 bits at a time, as kube-apiserver does (Go: gorilla/
 * websocket's maskBytes XORs a machine word at a time). `ws` without its native add-on (bufferutil)
 * unmasks one byte at a time in JS (≈ 1.4 ms per MiB), which made the emulator, not the clients, a
 * large share of an upload's CPU in the connect bench. Both tunnels there (Terrarium's port-forward
 * and kubectl's exec) cross this code, so both gain alike.
 *
 * How: just before ws's Receiver reads a frame's payload, unmask those bytes where they lie in its
 * buffered chunks and hand it an all-zero mask, which ws skips (the result is the same bytes).
 * Relies on Receiver internals (ws 8); when they are not there, ws keeps its own byte loop.
 */
import type { WebSocket } from 'ws';

interface ReceiverInternals {
  _buffers: Buffer[];
  _bufferedBytes: number;
  _payloadLength: number;
  _masked: boolean;
  _mask: Buffer | undefined;
  getData(cb: unknown): unknown;
}

const ZERO_MASK = Buffer.alloc(4);
const rot = new Uint8Array(4);
const rot32 = new Uint32Array(rot.buffer);

/**
 * XORs buf[0, len) with the 4-byte mask, starting at mask byte `phase`. The emulator's own code (it
 * never imports what it tests): bytes up to a 4-byte boundary, then 32-bit words, then the tail.
 */
function unmask(buf: Buffer, len: number, mask: Buffer, phase: number): void {
  let i = 0;
  const lead = Math.min(len, (4 - (buf.byteOffset & 3)) & 3);
  for (; i < lead; i++) buf[i]! ^= mask[(phase + i) & 3]!;
  const words = (len - i) >>> 2;
  if (words > 0) {
    // The mask rotated to the word boundary, in the platform's byte order (Uint32Array is native).
    for (let j = 0; j < 4; j++) rot[j] = mask[(phase + i + j) & 3]!;
    const m = rot32[0]!;
    const w = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j++) w[j]! ^= m;
    i += words << 2;
  }
  for (; i < len; i++) buf[i]! ^= mask[(phase + i) & 3]!;
}

/** Makes this server-side WebSocket unmask word-wise; false if ws's internals are not as expected. */
export function unmaskWordwise(ws: WebSocket): boolean {
  const r = (ws as unknown as { _receiver?: ReceiverInternals })._receiver;
  if (!r || typeof r.getData !== 'function' || !Array.isArray(r._buffers) || typeof r._bufferedBytes !== 'number') return false;
  const getData = r.getData;
  r.getData = function (this: ReceiverInternals, cb: unknown) {
    const n = this._payloadLength, mask = this._mask;
    if (this._masked && mask && n > 0 && this._bufferedBytes >= n && (mask[0]! | mask[1]! | mask[2]! | mask[3]!) !== 0) {
      let left = n, phase = 0;
      for (const b of this._buffers) {
        const take = Math.min(left, b.length);
        unmask(b, take, mask, phase);
        phase = (phase + take) & 3;
        left -= take;
        if (left === 0) break;
      }
      this._mask = ZERO_MASK;
    }
    return getData.call(this, cb);
  };
  return true;
}
