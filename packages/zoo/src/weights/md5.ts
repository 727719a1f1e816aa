// MD5 in plain TypeScript (RFC 1321), for checking Keras weight files where no native md5 exists
// (WebCrypto has none). Node uses node:crypto instead; both are tested against the same vectors.

const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
  21, 6, 10, 15, 21,
];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** Incremental MD5: `update` with chunks, then `hex`. */
export class Md5 {
  private readonly state = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  private readonly buffer = new Uint8Array(64);
  private buffered = 0;
  private length = 0;
  private readonly words = new Uint32Array(16);

  update(data: Uint8Array): this {
    let offset = 0;
    this.length += data.byteLength;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, data.byteLength);
      this.buffer.set(data.subarray(0, take), this.buffered);
      this.buffered += take;
      offset = take;
      if (this.buffered < 64) return this;
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; offset + 64 <= data.byteLength; offset += 64) this.block(data, offset);
    this.buffer.set(data.subarray(offset), 0);
    this.buffered = data.byteLength - offset;
    return this;
  }

  hex(): string {
    const bitLength = this.length * 8;
    const pad = new Uint8Array((this.buffered < 56 ? 56 : 120) - this.buffered + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, bitLength >>> 0, true);
    view.setUint32(pad.length - 4, Math.floor(bitLength / 2 ** 32), true);
    this.length -= pad.length; // padding is not message length
    this.update(pad);
    let out = '';
    for (const word of this.state) {
      for (let i = 0; i < 4; i++) out += ((word >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
    }
    return out;
  }

  private block(data: Uint8Array, offset: number): void {
    const w = this.words;
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = (data[j]! | (data[j + 1]! << 8) | (data[j + 2]! << 16) | (data[j + 3]! << 24)) >>> 0;
    }
    let [a, b, c, d] = this.state as unknown as [number, number, number, number];
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const sum = (a + f + K[i]! + w[g]!) >>> 0;
      const s = S[i]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) >>> 0;
    }
    this.state[0] = (this.state[0]! + a) >>> 0;
    this.state[1] = (this.state[1]! + b) >>> 0;
    this.state[2] = (this.state[2]! + c) >>> 0;
    this.state[3] = (this.state[3]! + d) >>> 0;
  }
}

/** Lower-case hex MD5 of some bytes. */
export function md5Hex(data: Uint8Array): string {
  return new Md5().update(data).hex();
}
