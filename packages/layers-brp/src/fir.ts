/**
 * MCVD's FIR resampling with the kernel [1,3,3,1] (docs/mcvd-reference.md §4.4), separable, zero borders.
 * Written as slices and weighted sums of the two neighbours instead of a depthwise 4x4 conv:
 * every op used here has gradients on every tfjs backend (wasm lacks depthwise backprops), and the
 * code is the 1-D formula of the spec, line by line. FLOPs of these filters count 0 (docs/mcvd-reference.md §12).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeFixedFilterConv, nativeGroupedConvAvailable, type GroupedConvGeometry } from './native-grouped-conv';

type Axis = 1 | 2;

function checkNhwc(fn: string, x: tf.Tensor): asserts x is tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`${fn}: x must be NHWC [B, H, W, C], got shape [${x.shape}]`);
}

/** Zero-pads one pixel on both sides of `axis`. */
function padAxis(x: tf.Tensor4D, axis: Axis): tf.Tensor4D {
  const p: Array<[number, number]> = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  p[axis] = [1, 1];
  return tf.pad(x, p);
}

function sliceAxis(x: tf.Tensor4D, axis: Axis, begin: number, size: number): tf.Tensor4D {
  const b = [0, 0, 0, 0];
  const s = [-1, -1, -1, -1];
  b[axis] = begin;
  s[axis] = size;
  return tf.slice(x, b, s);
}

/** 1-D down x2 along `axis`: `out[i] = (x[2i-1] + 3x[2i] + 3x[2i+1] + x[2i+2]) / 8`, x[-1] = x[n] = 0. */
function down1d(x: tf.Tensor4D, axis: Axis): tf.Tensor4D {
  const n = x.shape[axis];
  const [b, h, w, c] = x.shape;
  const xp = padAxis(x, axis); // xp[j] = x[j-1]
  // pairs of xp[0..n) are (x[2i-1], x[2i]); pairs of xp[2..n+2) are (x[2i+1], x[2i+2])
  const pairShape = axis === 1 ? [b, n / 2, 2, w, c] : [b, h, n / 2, 2, c];
  const lo = tf.reshape(sliceAxis(xp, axis, 0, n), pairShape);
  const hi = tf.reshape(sliceAxis(xp, axis, 2, n), pairShape);
  const outShape: [number, number, number, number] = axis === 1 ? [b, n / 2, w, c] : [b, h, n / 2, c];
  const pick = (t: tf.Tensor, k: number) => {
    const begin = [0, 0, 0, 0, 0];
    const size = [-1, -1, -1, -1, -1];
    begin[axis + 1] = k;
    size[axis + 1] = 1;
    return tf.reshape(tf.slice(t, begin, size), outShape);
  };
  const sum = tf.addN([pick(lo, 0), tf.mul(tf.add(pick(lo, 1), pick(hi, 0)), 3), pick(hi, 1)]);
  return tf.mul(sum, 1 / 8) as tf.Tensor4D;
}

/** 1-D up x2 along `axis`: `y[2m] = x[m-1]/4 + 3x[m]/4`, `y[2m+1] = 3x[m]/4 + x[m+1]/4`, zeros outside. */
function up1d(x: tf.Tensor4D, axis: Axis): tf.Tensor4D {
  const n = x.shape[axis];
  const [b, h, w, c] = x.shape;
  const xp = padAxis(x, axis);
  const prev = sliceAxis(xp, axis, 0, n);
  const next = sliceAxis(xp, axis, 2, n);
  const cur = tf.mul(x, 0.75);
  const even = tf.add(tf.mul(prev, 0.25), cur);
  const odd = tf.add(cur, tf.mul(next, 0.25));
  const outShape: [number, number, number, number] = axis === 1 ? [b, 2 * n, w, c] : [b, h, 2 * n, c];
  return tf.reshape(tf.stack([even, odd], axis + 1), outShape);
}

/** FIR down-sampling by 2 in H and W (NHWC, even H and W). */
export function firDownsample(x: tf.Tensor4D): tf.Tensor4D {
  checkNhwc('firDownsample', x);
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) {
    throw new Error(`firDownsample: height and width must be even, got ${h}x${w}`);
  }
  return useNative(x) ? firNative(x, 'down') : firDown2d(x);
}

/** FIR up-sampling by 2 in H and W (NHWC). Not equal to bilinear resize at the borders (docs/mcvd-reference.md §4.4). */
export function firUpsample(x: tf.Tensor4D): tf.Tensor4D {
  checkNhwc('firUpsample', x);
  return useNative(x) ? firNative(x, 'up') : firUp2d(x);
}

// Both filters are linear with adjoint identities down1dᵀ = up1d / 2 and up1dᵀ = 2·down1d (write
// out which outputs each input feeds), so each one's gradient is the other filter. As custom ops the
// tape records one node per call instead of every pad / slice / stack inside, whose own gradients
// (pads of slices, unstacks) would otherwise dominate the backward pass.
const downTwice = (x: tf.Tensor4D) => tf.tidy(() => down1d(down1d(x, 1), 2));
const upTwice = (x: tf.Tensor4D) => tf.tidy(() => up1d(up1d(x, 1), 2));

const firDown2d = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: downTwice(args[0] as tf.Tensor4D),
  gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.mul(upTwice(dy as tf.Tensor4D), 0.25)),
})) as (x: tf.Tensor4D) => tf.Tensor4D;

const firUp2d = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: upTwice(args[0] as tf.Tensor4D),
  gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.mul(downTwice(dy as tf.Tensor4D), 4)),
})) as (x: tf.Tensor4D) => tf.Tensor4D;

// With the native grouped-conv kernels (@evdm/backend-native) both filters are one depthwise conv
// (groups = C): down = conv(x, k/64) with stride 2 and one pixel of zero padding per side (the 1-D
// formula above), up = its adjoint with the filter k/16 (= 4·(k/64): up1d = 2·down1dᵀ per axis),
// where k = [1,3,3,1]ᵀ[1,3,3,1]. Same outputs as the composed path up to float rounding.
const FIR_TAPS = [1, 3, 3, 1];

const useNative = (x: tf.Tensor4D) => x.dtype === 'float32' && x.size > 0 && nativeGroupedConvAvailable();

/** Depthwise HWIO filter [4, 4, 1, C] of the 2-D FIR kernel divided by `norm`. */
function firFilter(channels: number, norm: number): tf.Tensor4D {
  const v = new Float32Array(16 * channels);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) v.fill((FIR_TAPS[i] * FIR_TAPS[j]) / norm, (i * 4 + j) * channels, (i * 4 + j + 1) * channels);
  return tf.tensor4d(v, [4, 4, 1, channels]);
}

function firNative(x: tf.Tensor4D, mode: 'down' | 'up'): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const g: GroupedConvGeometry = { strides: [2, 2], pad: [1, 1, 1, 1], groups: c };
  return tf.tidy(() =>
    mode === 'down'
      ? nativeFixedFilterConv(x, firFilter(c, 64), g, 'conv')
      : nativeFixedFilterConv(x, firFilter(c, 16), g, 'transpose', [b, 2 * h, 2 * w, c]),
  );
}
