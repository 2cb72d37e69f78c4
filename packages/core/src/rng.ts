/**
 * Seeded host-side random numbers (PCG32-style 64-bit LCG state, xorshift-rotate output).
 * Everything in evdm that draws randomness on the host (timesteps, masks, dataset windows, digit
 * motion) takes one of these so runs are reproducible and resumable: `state()` / `setState()`
 * capture and restore the stream exactly (checkpoints store it as two hex strings).
 */
export interface RngState {
  state: string;
  inc: string;
}

import { brandedInstanceOf, hasBrand } from './brand';

const MASK64 = (1n << 64n) - 1n;
const MULT = 6364136223846793005n;

const RNG_BRAND: unique symbol = Symbol.for('@evdm/core/Rng');

/** True for an `Rng` from any build (ESM/CJS) or installed copy of `@evdm/core`. */
export function isRng(x: unknown): x is Rng {
  return hasBrand(x, RNG_BRAND);
}

export class Rng {
  /** `instanceof Rng` holds for an Rng of any build or copy of this package (see brand.ts). */
  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedInstanceOf(Rng, this, RNG_BRAND, x);
  }

  get [RNG_BRAND](): true {
    return true;
  }

  private s: bigint;
  private inc: bigint;
  private spareNormal: number | null = null;

  constructor(seed: number | bigint = 0x853c49e6748fea9bn, stream: number | bigint = 0xda3e39cb94b95bdbn) {
    if (typeof seed === 'number' && (!Number.isFinite(seed) || !Number.isInteger(seed))) {
      throw new Error(`Rng seed must be an integer, got ${seed}`);
    }
    this.s = 0n;
    this.inc = ((BigInt(stream) << 1n) | 1n) & MASK64;
    this.nextUint32();
    this.s = (this.s + (BigInt(seed) & MASK64)) & MASK64;
    this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const old = this.s;
    this.s = (old * MULT + this.inc) & MASK64;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive), without modulo bias. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new Error(`Rng.int needs integers lo <= hi, got ${lo}, ${hi}`);
    }
    const span = hi - lo + 1;
    if (span > 2 ** 32) return lo + Math.floor(this.uniform() * span);
    const limit = Math.floor(2 ** 32 / span) * span;
    let v = this.nextUint32();
    while (v >= limit) v = this.nextUint32();
    return lo + (v % span);
  }

  /** Standard normal (Marsaglia polar method; the spare value is part of the state). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.uniform() * 2 - 1;
      v = this.uniform() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return u * m;
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Fills a Float32Array with standard normals. */
  normalArray(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  /** A 31-bit seed for APIs that take a number seed (e.g. tf.randomNormal). */
  seed31(): number {
    return this.nextUint32() >>> 1;
  }

  /** An independent child stream (for a data loader worker, a sampler, ...). */
  fork(): Rng {
    const seed = (BigInt(this.nextUint32()) << 32n) | BigInt(this.nextUint32());
    const stream = (BigInt(this.nextUint32()) << 32n) | BigInt(this.nextUint32());
    return new Rng(seed, stream);
  }

  state(): RngState & { spare: number | null } {
    return { state: this.s.toString(16), inc: this.inc.toString(16), spare: this.spareNormal };
  }

  setState(st: RngState & { spare?: number | null }): void {
    if (!st || typeof st.state !== 'string' || typeof st.inc !== 'string') {
      throw new Error('Rng.setState: expected {state, inc} hex strings');
    }
    this.s = BigInt('0x' + st.state) & MASK64;
    this.inc = BigInt('0x' + st.inc) & MASK64;
    this.spareNormal = st.spare ?? null;
  }

  static fromState(st: RngState & { spare?: number | null }): Rng {
    const r = new Rng(0);
    r.setState(st);
    return r;
  }
}
