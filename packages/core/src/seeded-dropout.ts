/**
 * Seeded dropout as one op: `y = x · m`, m = 0 (dropped, probability `rate`) or 1 / (1 − rate),
 * drawn from a counter-based hash of (seed, element index) (as Philox / Threefry in other frameworks):
 * any element's draw is a pure function of the seed and its index, so the draws vectorise and the
 * mask never has to be stored: the gradient `dy · m` is the same op on `dy` with the same seed.
 *
 * Why an op: `tf.dropout` draws from a sequential generator (one closure call per element, a
 * loop-carried dependency of ~18 cycles per draw even in C), runs Add, Floor and RealDiv kernels to
 * make the mask and keeps the mask alive for the backward pass: ~28% of an EVDM-L training step and
 * ~150 MB per step there. A backend may register {@link SEEDED_DROPOUT} (e.g. `@evdm/backend-native`:
 * hash, test and multiply in one pass into a pooled output); elsewhere the mask is built in one host
 * loop and applied with one Multiply. Both give the same bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isTensor } from './brand';

/** Kernel name: input `x`, attrs {@link SeededDropoutAttrs}; output `x · mask`, same shape. */
export const SEEDED_DROPOUT = 'EvdmSeededDropout';

export interface SeededDropoutAttrs {
  /** Two 32-bit keys derived from the seed (see {@link dropoutKeys}). */
  keys: number[];
  /** Element i is dropped when `dropoutHash(i, keys) >>> 8 < threshold` (threshold = round(rate · 2^24)). */
  threshold: number;
  /** fround(1 / (1 − rate)): the kept elements' multiplier. */
  scale: number;
}

/** A bijective 32-bit integer mixer (Wellons' "lowbias32": xorshift-multiply, bias ~0.17). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The 32-bit hash of element `i` under `keys`: two keyed mixing rounds. */
export function dropoutHash(i: number, k0: number, k1: number): number {
  return mix32(mix32((i ^ k0) >>> 0) ^ k1);
}

/** Two keys from a seed: FNV-1a over its decimal text (any finite number), then mixed. */
export function dropoutKeys(seed: number): [number, number] {
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const k0 = mix32(h >>> 0);
  return [k0, mix32((k0 ^ 0x9e3779b9) >>> 0)];
}

/** The kernel attributes of dropout at `rate` seeded with `seed`. */
export function seededDropoutAttrs(rate: number, seed: number): SeededDropoutAttrs {
  return { keys: dropoutKeys(seed), threshold: Math.round(rate * 2 ** 24), scale: Math.fround(1 / (1 - rate)) };
}

/** The multiplier the op applies, element by element: 0 (dropped) or fround(1 / (1 − rate)). */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const { keys, threshold, scale } = seededDropoutAttrs(rate, seed);
  const [k0, k1] = keys;
  const mask = new Float32Array(size);
  for (let i = 0; i < size; i++) mask[i] = dropoutHash(i, k0, k1) >>> 8 < threshold ? 0 : scale;
  return mask;
}

/** Whether the active backend registers the dropout kernel. */
export function seededDropoutKernelAvailable(): boolean {
  return tf.getKernel(SEEDED_DROPOUT, tf.getBackend()) != null;
}

function validate(x: tf.Tensor, rate: number, seed: number): void {
  const op = 'seededDropout';
  if (!isTensor(x)) throw new Error(`${op}: x is not a tensor`);
  if (x.dtype !== 'float32') throw new Error(`${op}: x must be float32, got ${x.dtype} [${x.shape}]`);
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`${op}: rate must be in [0, 1), got ${rate}`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new Error(`${op}: seed must be a finite number, got ${seed}`);
  if (x.size >= 2 ** 32) throw new Error(`${op}: x has ${x.size} elements; the mask's element counter is 32-bit`);
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
 * Dropout with drop probability `rate`, seeded: the same mask for the same (seed, shape) on every
 * backend, in one pass where the backend registers the kernel. Gradient: `dy · mask`.
 */
export function seededDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  return run(x, rate, seed, seededDropoutKernelAvailable());
}

/** The same op without the kernel (mask from the host loop, one Multiply): the fallback and the tests' reference. */
export function seededDropoutComposed<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  return run(x, rate, seed, false);
}
