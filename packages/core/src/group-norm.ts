import * as tf from '@tensorflow/tfjs-core';

/**
 * Arguments of the one normalisation op every evdm block uses:
 * `y = act(((GN(x) · gamma + beta) · (1 + scale)) + shift)`.
 * - MCVD adaptive norm: non-affine GN, `scale`/`shift` from the time embedding, activation 'silu'.
 * - Attention / output head: affine GN (`gamma`, `beta`), no modulation.
 * - BRP (paper Eq. 8-9): non-affine GN, `(1 + e1)`, `+ e2`; ReLU (or SiLU) on the block input's norm.
 */
export interface GroupNormArgs {
  /** NHWC `[B, H, W, C]`, or `[B, T, H, W, C]` for joint statistics over frames (torch 5-D semantics). */
  x: tf.Tensor;
  groups: number;
  eps: number;
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
  /** `[B, C]`: multiplies by `(1 + scale)`. */
  scale?: tf.Tensor2D;
  /** `[B, C]`: added after the scale. */
  shift?: tf.Tensor2D;
  /**
   * `[B, 2C]` = `concat([scale, shift], 1)`, instead of `scale` and `shift`: an adaptive norm's
   * Linear output as it comes (no slicing ops forward, one gradient tensor backward).
   */
  modulation?: tf.Tensor2D;
  /** Applied last: `'silu'` (MCVD's adaptive norm) or `'relu'` (the BRP's default). Default 'none'. */
  activation?: 'none' | 'silu' | 'relu';
  /**
   * Normalise only x's channels `[channelStart, C)`, a whole number of groups (default 0): the output
   * has `C − channelStart` channels and equals `groupNorm(args)[..., channelStart:]` (those groups
   * see the same statistics); `groups` and every coefficient tensor keep x's full width.
   */
  channelStart?: number;
}

export type GroupNormImplementation = (args: GroupNormArgs) => tf.Tensor;

let implementation: GroupNormImplementation | null = null;

/**
 * Replaces the composed-tfjs GroupNorm by a faster one (e.g. the fused native kernel of
 * `@evdm/backend-native`); `null` restores the default. The replacement must compute the same
 * function and be differentiable in every tensor argument.
 */
export function setGroupNormImplementation(impl: GroupNormImplementation | null): void {
  implementation = impl;
}

export function getGroupNormImplementation(): 'default' | 'custom' {
  return implementation ? 'custom' : 'default';
}

/** MCVD's group-count rule (docs/mcvd-reference.md §4.2): `min(C/4, 32)`, decremented until it divides C. */
export function mcvdGroupCount(channels: number): number {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`GroupNorm channel count must be a positive integer, got ${channels}`);
  }
  let g = Math.min(Math.floor(channels / 4), 32);
  if (g < 1) g = 1;
  while (channels % g !== 0) g--;
  return g;
}

export function validateGroupNorm(args: GroupNormArgs): void {
  const { x, groups, eps } = args;
  if (x.rank !== 4 && x.rank !== 5) {
    throw new Error(`groupNorm: x must be NHWC [B,H,W,C] or [B,T,H,W,C], got shape [${x.shape}]`);
  }
  const c = x.shape[x.rank - 1];
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new Error(`groupNorm: groups (${groups}) must be a positive integer dividing the ${c} channels`);
  }
  if (!(eps > 0)) throw new Error(`groupNorm: eps must be > 0, got ${eps}`);
  const start = args.channelStart ?? 0;
  if (!Number.isInteger(start) || start < 0 || start >= c || start % (c / groups) !== 0) {
    throw new Error(
      `groupNorm: channelStart (${start}) must be a whole number of groups (${c / groups} channels each) below the ${c} channels`,
    );
  }
  const act = args.activation ?? 'none';
  if (act !== 'none' && act !== 'silu' && act !== 'relu') {
    throw new Error(`groupNorm: activation must be 'none', 'silu' or 'relu', got ${JSON.stringify(act)}`);
  }
  for (const [key, t] of [
    ['gamma', args.gamma],
    ['beta', args.beta],
  ] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) {
      throw new Error(`groupNorm: ${key} must have shape [${c}], got [${t.shape}]`);
    }
  }
  if (args.modulation) {
    const m = args.modulation;
    if (args.scale || args.shift) throw new Error('groupNorm: pass either modulation or scale / shift, not both');
    if (m.rank !== 2 || m.shape[0] !== x.shape[0] || m.shape[1] !== 2 * c) {
      throw new Error(`groupNorm: modulation must have shape [${x.shape[0]}, ${2 * c}] (scale and shift), got [${m.shape}]`);
    }
  }
  for (const [key, t] of [
    ['scale', args.scale],
    ['shift', args.shift],
  ] as const) {
    if (t && (t.rank !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== c)) {
      throw new Error(`groupNorm: ${key} must have shape [${x.shape[0]}, ${c}], got [${t.shape}]`);
    }
  }
}

/** The channel window `[start, C)` as an ordinary groupNorm's arguments (slices of x and of every coefficient). */
function windowArgs(args: GroupNormArgs, start: number): GroupNormArgs {
  const x = args.x;
  const c = x.shape[x.rank - 1];
  const n = c - start;
  const cols = (t: tf.Tensor2D, from: number) => tf.slice(t, [0, from], [t.shape[0], n]);
  const { gamma, beta, modulation, scale, shift } = args;
  return {
    x: tf.slice(x, [...x.shape.map(() => 0).slice(0, -1), start], [...x.shape.slice(0, -1), n]),
    groups: args.groups - start / (c / args.groups),
    eps: args.eps,
    activation: args.activation,
    ...(gamma ? { gamma: tf.slice(gamma, [start], [n]) } : {}),
    ...(beta ? { beta: tf.slice(beta, [start], [n]) } : {}),
    ...(modulation ? { scale: cols(modulation, start), shift: cols(modulation, c + start) } : {}),
    ...(scale ? { scale: cols(scale, start) } : {}),
    ...(shift ? { shift: cols(shift, start) } : {}),
  };
}

/** The reference composition from tfjs ops (biased variance, eps inside the sqrt). */
export function groupNormComposed(args: GroupNormArgs): tf.Tensor {
  if (args.channelStart) return tf.tidy(() => groupNormComposed(windowArgs(args, args.channelStart as number)));
  return tf.tidy(() => {
    const { x, groups, eps } = args;
    const shape = x.shape;
    const b = shape[0];
    const c = shape[shape.length - 1];
    const spatial = shape.slice(1, -1).reduce((a, v) => a * v, 1);
    const xg = tf.reshape(x, [b, spatial, groups, c / groups]);
    const { mean, variance } = tf.moments(xg, [1, 3], true);
    let y: tf.Tensor = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, eps))), shape);
    if (args.gamma) y = tf.mul(y, args.gamma);
    if (args.beta) y = tf.add(y, args.beta);
    const bcast = [b, ...shape.slice(1, -1).map(() => 1), c];
    const m = args.modulation;
    const scale = m ? tf.slice(m, [0, 0], [b, c]) : args.scale;
    const shift = m ? tf.slice(m, [0, c], [b, c]) : args.shift;
    if (scale) y = tf.mul(y, tf.reshape(tf.add(scale, 1), bcast));
    if (shift) y = tf.add(y, tf.reshape(shift, bcast));
    if (args.activation === 'silu') y = tf.mul(y, tf.sigmoid(y));
    else if (args.activation === 'relu') y = tf.relu(y);
    return y;
  });
}

/** GroupNorm with optional affine, time modulation and SiLU; see {@link GroupNormArgs}. */
export function groupNorm(args: GroupNormArgs): tf.Tensor {
  validateGroupNorm(args);
  return (implementation ?? groupNormComposed)(args);
}
