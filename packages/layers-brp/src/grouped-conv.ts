/**
 * Grouped 1x1 convolution and ShuffleNet channel shuffle (paper §3.4, "shortcut optimisation").
 * TF.js has no `groups` argument, so three equivalent formulations exist; bench/grouped-conv.mjs
 * times them and `groupedConv1x1` uses the fastest by default (see README "measured").
 *
 * Kernel layout: grouped HWIO `[1, 1, cin/groups, cout]` (the tf.nn.conv2d grouped convention,
 * = torch OIHW `(cout, cin/groups, 1, 1)` transposed). Output channel `o` reads the input channels
 * of group `floor(o / (cout/groups))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeGroupedConv2d, nativeGroupedConvAvailable } from './native-grouped-conv';

export type GroupedConvMethod = 'matmul' | 'blockDiagonal' | 'splitConcat';
export const GROUPED_CONV_METHODS: readonly GroupedConvMethod[] = ['matmul', 'blockDiagonal', 'splitConcat'];

let defaultMethod: GroupedConvMethod = 'matmul';

/** Changes the formulation `groupedConv1x1` uses when none is passed (all are exact equivalents). */
export function setGroupedConvMethod(method: GroupedConvMethod): void {
  if (!GROUPED_CONV_METHODS.includes(method)) {
    throw new Error(`setGroupedConvMethod: unknown method ${String(method)} (use ${GROUPED_CONV_METHODS.join(', ')})`);
  }
  defaultMethod = method;
}

export function getGroupedConvMethod(): GroupedConvMethod {
  return defaultMethod;
}

function validate(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null | undefined, groups: number): void {
  if (x.rank !== 4) throw new Error(`groupedConv1x1: x must be NHWC [B, H, W, C], got shape [${x.shape}]`);
  if (!Number.isInteger(groups) || groups < 1)
    throw new Error(`groupedConv1x1: groups must be a positive integer, got ${groups}`);
  const cin = x.shape[3] as number;
  if (cin % groups !== 0) throw new Error(`groupedConv1x1: groups (${groups}) must divide the ${cin} input channels`);
  if (kernel.rank !== 4 || kernel.shape[0] !== 1 || kernel.shape[1] !== 1 || kernel.shape[2] !== cin / groups) {
    throw new Error(
      `groupedConv1x1: kernel must be grouped HWIO [1, 1, ${cin / groups}, cout] for ${cin} channels in ${groups} groups, got [${kernel.shape}]`,
    );
  }
  const cout = kernel.shape[3] as number;
  if (cout % groups !== 0) throw new Error(`groupedConv1x1: groups (${groups}) must divide the ${cout} output channels`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) {
    throw new Error(`groupedConv1x1: bias must have shape [${cout}], got [${bias.shape}]`);
  }
}

/** Reshape to `[g, B·H·W, cin/g]` and one batched matMul with `[g, cin/g, cout/g]`. */
function viaBatchedMatMul(x: tf.Tensor4D, kernel: tf.Tensor4D, g: number): tf.Tensor4D {
  const [b, h, w, cin] = x.shape;
  const cout = kernel.shape[3];
  const xg = tf.transpose(tf.reshape(x, [b * h * w, g, cin / g]), [1, 0, 2]);
  const kg = tf.transpose(tf.reshape(kernel, [cin / g, g, cout / g]), [1, 0, 2]);
  const y = tf.matMul(xg as tf.Tensor3D, kg as tf.Tensor3D); // [g, BHW, cout/g]
  return tf.reshape(tf.transpose(y, [1, 0, 2]), [b, h, w, cout]);
}

/** Expands the grouped kernel into the dense block-diagonal `[1, 1, cin, cout]` one (differentiably). */
export function blockDiagonalKernel(kernel: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , cinG, cout] = kernel.shape;
    const coutG = cout / groups;
    const k2 = tf.reshape(kernel, [cinG, cout]);
    const blocks = tf.split(k2, groups, 1).map((blk, j) =>
      tf.pad(blk, [
        [j * cinG, (groups - 1 - j) * cinG],
        [0, 0],
      ]),
    );
    return tf.reshape(tf.concat(blocks, 1), [1, 1, cinG * groups, coutG * groups]);
  });
}

function viaBlockDiagonal(x: tf.Tensor4D, kernel: tf.Tensor4D, g: number): tf.Tensor4D {
  return tf.conv2d(x, blockDiagonalKernel(kernel, g), 1, 'valid');
}

function viaSplitConcat(x: tf.Tensor4D, kernel: tf.Tensor4D, g: number): tf.Tensor4D {
  const xs = tf.split(x, g, 3);
  const ks = tf.split(kernel, g, 3);
  return tf.concat(
    xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ks[i] as tf.Tensor4D, 1, 'valid')),
    3,
  );
}

/**
 * Grouped 1x1 convolution `y = conv_g(x) + bias` on NHWC input.
 * @param kernel grouped HWIO `[1, 1, cin/groups, cout]`
 * @param method formulation (default: `getGroupedConvMethod()`); all give identical results. Ignored
 *   when the native grouped-conv kernels of @evdm/backend-native are registered for the active backend.
 */
export function groupedConv1x1(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null | undefined,
  groups: number,
  method: GroupedConvMethod = defaultMethod,
): tf.Tensor4D {
  validate(x, kernel, bias, groups);
  // one oneDNN grouped conv with the bias inside when @evdm/backend-native's kernels are registered
  if (
    x.size > 0 &&
    kernel.size > 0 &&
    [x, kernel, bias].every((t) => !t || t.dtype === 'float32') &&
    nativeGroupedConvAvailable()
  ) {
    return nativeGroupedConv2d(x, kernel, bias ?? null, { strides: [1, 1], pad: [0, 0, 0, 0], groups });
  }
  return tf.tidy(() => {
    let y: tf.Tensor4D;
    if (groups === 1) y = tf.conv2d(x, kernel, 1, 'valid');
    else if (method === 'matmul') y = viaBatchedMatMul(x, kernel, groups);
    else if (method === 'blockDiagonal') y = viaBlockDiagonal(x, kernel, groups);
    else if (method === 'splitConcat') y = viaSplitConcat(x, kernel, groups);
    else throw new Error(`groupedConv1x1: unknown method ${String(method)}`);
    return bias ? tf.add(y, bias) : y;
  });
}

/** ShuffleNet's permutation: output channel k comes from input channel `perm[k]`. */
export function channelShufflePerm(channels: number, groups: number): number[] {
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new Error(`channelShuffle: groups (${groups}) must be a positive integer dividing the ${channels} channels`);
  }
  const per = channels / groups;
  return cachedPerm(`shuffle ${channels}/${groups}`, channels, (k) => (k % groups) * per + Math.floor(k / groups));
}

/** Channel perms by key, built once (every BRP block asks for a few on each call); frozen, never mutate. */
const PERMS = new Map<string, readonly number[]>();

/** The perm `[at(0), …, at(length − 1)]` stored under `key`, built on first use. */
export function cachedPerm(key: string, length: number, at: (j: number) => number): number[] {
  let perm = PERMS.get(key);
  if (!perm) PERMS.set(key, (perm = Object.freeze(Array.from({ length }, (_, j) => at(j)))));
  return perm as number[];
}

/**
 * ShuffleNet channel shuffle on NHWC: view channels as `[groups, C/groups]`, transpose, flatten
 * (torch `reshape(N,g,C/g,H,W).transpose(1,2)`). 0 FLOPs.
 */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`channelShuffle: x must be NHWC [B, H, W, C], got shape [${x.shape}]`);
  const [b, h, w, c] = x.shape;
  channelShufflePerm(c, groups); // validates
  if (groups === 1) return tf.clone(x);
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [b, h, w, c]));
}
