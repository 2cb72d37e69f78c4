/**
 * Seeded dropout as one op: `y = x · m` with the keep/drop mask m drawn from a seeded stream, the
 * same values as `tf.dropout(x, rate, undefined, seed)` bit for bit (seedrandom's Alea generator,
 * float32 `floor(u + keep) / keep`), so checkpoints written before this op resume exactly.
 *
 * Why an op: `tf.dropout` calls one closure per draw, runs Add, Floor and RealDiv kernels to make the
 * mask and keeps the mask alive for the backward pass (~13% of an EVDM-L training step and ~150 MB per
 * step there). Here the mask is never stored: the gradient `dy · m` is the same op on `dy` with the
 * same seed, which regenerates m. A backend may register {@link SEEDED_DROPOUT} (e.g.
 * `@evdm/backend-native`: draw and multiply in one native pass into a pooled output); elsewhere the
 * mask is built in one host loop and applied with one Multiply.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name: input `x`, attrs {@link SeededDropoutAttrs}; output `x · mask`, same shape. */
export const SEEDED_DROPOUT = 'EvdmSeededDropout';

export interface SeededDropoutAttrs {
  /** Alea state `[s0, s1, s2, c]` after seeding (see {@link aleaSeed}). */
  state: number[];
  /** fround(1 − rate): an element is kept when fround(fround(u) + keep) >= 1. */
  keep: number;
  /** fround(1 / keep): the kept elements' multiplier. */
  scale: number;
}

const TWO_POW_M32 = 2.3283064365386963e-10; // 2^-32

/** Baagøe's Mash hash, as seedrandom's Alea seeds itself from a string. */
function mashState(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * TWO_POW_M32;
  };
}

/** Alea generator state after seeding with `seed` (the state seedrandom.alea(seed) starts from). */
export function aleaSeed(seed: string): { s0: number; s1: number; s2: number; c: number } {
  const mash = mashState();
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  s0 -= mash(seed);
  if (s0 < 0) s0 += 1;
  s1 -= mash(seed);
  if (s1 < 0) s1 += 1;
  s2 -= mash(seed);
  if (s2 < 0) s2 += 1;
  return { s0, s1, s2, c: 1 };
}

/**
 * The multiplier `tf.dropout` applies: `floor(u + keep) / keep` in float32 for Alea draws `u` seeded
 * with `String(seed)`, i.e. 0 (dropped) or fround(1 / keep) (kept), element by element.
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const keep = Math.fround(1 - rate);
  const scale = Math.fround(1 / keep);
  const mask = new Float32Array(size);
  let { s0, s1, s2, c } = aleaSeed(String(seed));
  for (let i = 0; i < size; i++) {
    const t = 2091639 * s0 + c * TWO_POW_M32;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    // float32 draw, float32 sum (as the Add kernel stores it), floor of a value in [0, 2)
    mask[i] = Math.fround(Math.fround(s2) + keep) >= 1 ? scale : 0;
  }
  return mask;
}

/** The kernel attributes of dropout at `rate` seeded with `seed`. */
export function seededDropoutAttrs(rate: number, seed: number): SeededDropoutAttrs {
  const { s0, s1, s2, c } = aleaSeed(String(seed));
  const keep = Math.fround(1 - rate);
  return { state: [s0, s1, s2, c], keep, scale: Math.fround(1 / keep) };
}

/** Whether the active backend registers the dropout kernel. */
export function seededDropoutKernelAvailable(): boolean {
  return tf.getKernel(SEEDED_DROPOUT, tf.getBackend()) != null;
}

function validate(x: tf.Tensor, rate: number, seed: number): void {
  const op = 'seededDropout';
  if (!x || typeof x !== 'object' || !Array.isArray(x.shape)) throw new Error(`${op}: x is not a tensor`);
  if (x.dtype !== 'float32') throw new Error(`${op}: x must be float32, got ${x.dtype} [${x.shape}]`);
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`${op}: rate must be in [0, 1), got ${rate}`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new Error(`${op}: seed must be a finite number, got ${seed}`);
}

function apply(x: tf.Tensor, rate: number, seed: number, useKernel: boolean): tf.Tensor {
  if (useKernel) {
    const attrs = seededDropoutAttrs(rate, seed);
    return tf.engine().runKernel(SEEDED_DROPOUT, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMask(x.size, rate, seed), x.shape, 'float32')));
}

function run<T extends tf.Tensor>(x: T, rate: number, seed: number, useKernel: boolean): T {
  validate(x, rate, seed);
  if (rate === 0 || x.size === 0) return x.clone();
  const f = tf.customGrad((...args: unknown[]) => ({
    value: apply(args[0] as tf.Tensor, rate, seed, useKernel),
    // d(x·m)/dx = m: the same op on dy regenerates the mask from the seed
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => apply(dy as tf.Tensor, rate, seed, useKernel),
  }));
  return (f as unknown as (t: tf.Tensor) => T)(x);
}

/**
 * Dropout with drop probability `rate`, seeded: equal to `tf.dropout(x, rate, undefined, seed)`
 * (values and gradient) at one pass where the backend registers the kernel.
 */
export function seededDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  return run(x, rate, seed, seededDropoutKernelAvailable());
}

/** The same op without the kernel (mask from the host loop, one Multiply): the fallback and the tests' reference. */
export function seededDropoutComposed<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  return run(x, rate, seed, false);
}
