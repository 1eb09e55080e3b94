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
import { xorMask } from '../../../src/core/tunnel/wsFrame';

interface ReceiverInternals {
  _buffers: Buffer[];
  _bufferedBytes: number;
  _payloadLength: number;
  _masked: boolean;
  _mask: Buffer | undefined;
  getData(cb: unknown): unknown;
}

const ZERO_MASK = Buffer.alloc(4);

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
        xorMask(b, 0, take, mask, 0, phase);
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
