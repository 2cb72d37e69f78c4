// Shared tensor test helpers: closeness, finite-difference gradient checks, leak checks.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core registers no gradients by itself; tfjs-layers does (see dependency-notes).
import '@tensorflow/tfjs-layers';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Max absolute difference between two arrays (or array-likes). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  // A tf.Tensor has no numeric length: without this guard the loop would not run and return 0.
  if (typeof a?.length !== 'number' || typeof b?.length !== 'number') {
    throw new Error('maxAbsDiff needs arrays or typed arrays (call dataSync() on tensors)');
  }
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Relative error ||a-b|| / max(||b||, tiny) in L2. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (typeof a?.length !== 'number' || typeof b?.length !== 'number' || a.length !== b.length) {
    throw new Error(`relL2 needs two arrays of equal length, got ${a?.length} and ${b?.length}`);
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/**
 * Checks d(sum(f(x) * r))/dx from tf.grads against central finite differences at `probes`
 * random coordinates of every input. Works in float32, so use smooth f, small shapes and
 * eps ~1e-2..1e-3; returns the worst relative error.
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  { eps = 1e-2, probes = 6, seed = 1 } = {},
): number {
  let rng = seed >>> 0 || 1;
  const rand = () => {
    rng ^= rng << 13;
    rng >>>= 0;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    rng >>>= 0;
    return rng / 2 ** 32;
  };
  const outShape = tf.tidy(() => f(...inputs).shape);
  const rVals = Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1);
  const r = tf.tensor(rVals, outShape);
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r));
  const analytic = tf.grads(loss)(inputs);
  const analyticData = analytic.map((g) => g.dataSync().slice());
  tf.dispose(analytic);
  let worst = 0;
  inputs.forEach((x, xi) => {
    const base = x.dataSync().slice();
    for (let p = 0; p < probes; p++) {
      const idx = Math.floor(rand() * base.length);
      const eval_ = (delta: number) => {
        const v = base.slice();
        v[idx] += delta;
        const xs = inputs.map((t, j) => (j === xi ? tf.tensor(v, t.shape, t.dtype) : t));
        const out = tf.tidy(() => loss(...xs).dataSync()[0]);
        tf.dispose(xs[xi]);
        return out;
      };
      const numeric = (eval_(eps) - eval_(-eps)) / (2 * eps);
      const a = analyticData[xi][idx];
      const err = Math.abs(a - numeric) / Math.max(1e-3, Math.abs(a) + Math.abs(numeric));
      worst = Math.max(worst, err);
    }
  });
  r.dispose();
  return worst;
}

/** Runs `fn` `times` times and returns how many tensors were left alive after the warm-up call. */
export function leakedTensors(fn: () => void, times = 3): number {
  fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < times; i++) fn();
  return tf.memory().numTensors - before;
}

/**
 * Directional-derivative check: compares <∇L, v> (autodiff) with (L(x+εv) − L(x−εv)) / 2ε for a
 * random direction v over ALL inputs at once, L = sum(f(x)·r). Aggregating over every coordinate
 * keeps the float32 finite difference far above rounding noise, which single-coordinate probes
 * of deep networks are not. Returns the worst relative error over `directions` random directions.
 */
export function directionalGradCheck(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  { eps = 1e-2, directions = 3, seed = 7 } = {},
): number {
  let worst = 0;
  const outShape = tf.tidy(() => f(...inputs).shape);
  const r = tf.randomNormal(outShape, 0, 1, 'float32', seed);
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r));
  const grads = tf.grads(loss)(inputs);
  for (let d = 0; d < directions; d++) {
    const vs = inputs.map((x, i) => tf.randomNormal(x.shape, 0, 1, 'float32', seed * 1000 + d * 31 + i));
    const analytic = tf.tidy(() => tf.addN(grads.map((g, i) => tf.sum(tf.mul(g, vs[i])))).dataSync()[0]);
    const at = (s: number) => tf.tidy(() => loss(...inputs.map((x, i) => tf.add(x, tf.mul(vs[i], s)))).dataSync()[0]);
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    worst = Math.max(worst, Math.abs(analytic - numeric) / Math.max(1e-6, Math.abs(analytic) + Math.abs(numeric)));
    tf.dispose(vs);
  }
  tf.dispose([...grads, r]);
  return worst;
}
