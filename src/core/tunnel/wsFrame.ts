/**
 * Masked client data frames for the port-forward stream, built in one pass. RFC 6455 §5.3: every
 * client frame is masked with a fresh, unpredictable 32-bit key. `ws` does that, but without its
 * native add-on (bufferutil) it masks one byte at a time in JS: measured here, that alone cut the
 * upload path from ~275 to ~93 MiB/s. XOR-ing whole 32-bit words is ~5x faster than the byte loop
 * and needs no native code, so the SSH path keeps random masks at close to its old speed.
 */
import { randomFillSync } from 'node:crypto';

/** Random mask keys come from a pool refilled 2048 keys at a time (as `ws` does it). */
const pool = Buffer.alloc(8192);
let poolPos = pool.length;

function nextMask(out: Buffer, at: number): void {
  if (poolPos === pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  pool.copy(out, at, poolPos, poolPos + 4);
  poolPos += 4;
}

const rot = new Uint8Array(4);
const rot32 = new Uint32Array(rot.buffer);

/** XORs buf[start, start+len) with the 4-byte key at buf[keyAt], 32 bits at a time where aligned. */
export function maskInPlace(buf: Buffer, start: number, len: number, keyAt: number): void {
  const k0 = buf[keyAt]!, k1 = buf[keyAt + 1]!, k2 = buf[keyAt + 2]!, k3 = buf[keyAt + 3]!;
  const key = [k0, k1, k2, k3];
  let i = 0;
  const lead = Math.min(len, (4 - ((buf.byteOffset + start) & 3)) & 3);
  for (; i < lead; i++) buf[start + i]! ^= key[i & 3]!;
  const words = (len - i) >>> 2;
  if (words > 0) {
    // The key rotated to the word boundary, in the platform's byte order (Uint32Array is native).
    rot[0] = key[i & 3]!; rot[1] = key[(i + 1) & 3]!; rot[2] = key[(i + 2) & 3]!; rot[3] = key[(i + 3) & 3]!;
    const k32 = rot32[0]!;
    const w = new Uint32Array(buf.buffer, buf.byteOffset + start + i, words);
    for (let j = 0; j < words; j++) w[j]! ^= k32;
    i += words << 2;
  }
  for (; i < len; i++) buf[start + i]! ^= key[i & 3]!;
}

/** One final binary frame: [channel][data], masked with a fresh key. */
export function maskedBinaryFrame(channel: number, data: Buffer): Buffer {
  const len = data.length + 1;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + 4 + len);
  frame[0] = 0x82; // FIN, opcode 2 (binary)
  if (head === 2) {
    frame[1] = 0x80 | len;
  } else if (head === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    frame.writeUInt32BE(len >>> 0, 6);
  }
  nextMask(frame, head);
  const start = head + 4;
  frame[start] = channel;
  data.copy(frame, start + 1);
  maskInPlace(frame, start, len, head);
  return frame;
}
