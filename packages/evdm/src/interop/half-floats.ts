/** IEEE half precision (binary16) bits → number. */
export function float16ToNumber(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits (the upper half of a float32) → number. */
export function bfloat16ToNumber(bits: number): number {
  scratch.setUint32(0, bits << 16, true);
  return scratch.getFloat32(0, true);
}
