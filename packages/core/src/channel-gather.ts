import * as tf from '@tensorflow/tfjs-core';
import { isTensor } from './brand';

/**
 * Channel gather, the one memory pass that replaces a channel slice + concat + channel shuffle
 * (+ residual add and scale) of the BRP (paper §3.4 Split and SO):
 *   `out[..., j] = scale · (cat[..., perm[j]] (+ cat[..., addPerm[j]]) + addend[..., j])`,
 * `cat = concat(inputs, -1)`. Its gradient is the matching scatter: each input gets `scale · dy`
 * routed back to the channels `perm` / `addPerm` read (0 where they read none), the addend gets
 * `scale · dy`. A second perm sums two gathers of the same inputs without writing either one out
 * (the BRP block output `shuffle(shortcut) + shuffle(concat[p3, p1, direct])`).
 *
 * A backend may register the kernels {@link CHANNEL_GATHER} / {@link CHANNEL_GATHER_GRAD} (e.g.
 * `@evdm/backend-native`); where they are missing the composed tfjs ops run (concat + gather, and
 * concat + gather + split backward), so everything works without them.
 */
export interface ChannelGatherArgs {
  /** NHWC tensors sharing `[B, H, W]`; their channels are numbered in concatenation order. */
  inputs: tf.Tensor4D[];
  /** Output channel j reads concatenated channel `perm[j]`; entries distinct, in range. */
  perm: readonly number[];
  /** A second gather added to the first: output j adds channel `addPerm[j]`; `perm.length` entries, none read by `perm` too. */
  addPerm?: readonly number[];
  /** `[B, H, W, perm.length]`, added before the scale. */
  addend?: tf.Tensor4D;
  /** Multiplies the sum (default 1). */
  scale?: number;
}

/** Kernel names: inputs `x0 … x{n-1}` (+ `addend`), attrs `{perm, addPerm, scale, count}`; one output. */
export const CHANNEL_GATHER = 'EvdmChannelGather';
/** Inputs `dy`, attrs `{perm, addPerm, scale, channels, addend}`; outputs `[dx0 … dx{n-1}(, daddend)]`. */
export const CHANNEL_GATHER_GRAD = 'EvdmChannelGatherGrad';

export interface ChannelGatherAttrs {
  perm: number[];
  /** The second perm, or `[]` for none. */
  addPerm: number[];
  scale: number;
  count: number;
}

export interface ChannelGatherGradAttrs {
  perm: number[];
  /** The second perm, or `[]` for none. */
  addPerm: number[];
  scale: number;
  /** Channel count of each input. */
  channels: number[];
  /** Whether an addend gradient is returned last. */
  addend: boolean;
}

const shapeList = (ts: readonly tf.Tensor[]) => ts.map((t) => `[${t?.shape}]`).join(', ');

/** Throws a clear error (op, argument, shapes) for anything the op cannot take. */
export function validateChannelGather(args: ChannelGatherArgs): void {
  const op = 'channelGather';
  const { inputs, perm, addend } = args ?? ({} as ChannelGatherArgs);
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error(`${op}: inputs must be a non-empty array of NHWC tensors`);
  const first = inputs[0];
  inputs.forEach((t, i) => {
    if (!isTensor(t)) throw new Error(`${op}: inputs[${i}] is not a tensor`);
    if (t.rank !== 4)
      throw new Error(`${op}: inputs[${i}] must be NHWC [B, H, W, C], got shape [${t.shape}] (inputs ${shapeList(inputs)})`);
    if (t.size === 0) throw new Error(`${op}: inputs[${i}] is empty, shape [${t.shape}] (inputs ${shapeList(inputs)})`);
    if (t.shape[0] !== first.shape[0] || t.shape[1] !== first.shape[1] || t.shape[2] !== first.shape[2]) {
      throw new Error(`${op}: inputs must share [B, H, W]; inputs[${i}] is [${t.shape}], inputs[0] is [${first.shape}]`);
    }
    if (t.dtype !== 'float32') throw new Error(`${op}: inputs[${i}] must be float32, got ${t.dtype}`);
  });
  const total = inputs.reduce((a, t) => a + t.shape[3], 0);
  if (!Array.isArray(perm) || perm.length === 0)
    throw new Error(`${op}: perm must be a non-empty array of channel indices (inputs ${shapeList(inputs)})`);
  const seen = new Uint8Array(total);
  const check = (what: string, ps: readonly number[]) => {
    for (let j = 0; j < ps.length; j++) {
      const p = ps[j];
      if (!Number.isInteger(p) || p < 0 || p >= total) {
        throw new Error(`${op}: ${what}[${j}] = ${p} is out of range: the inputs ${shapeList(inputs)} have ${total} channels`);
      }
      if (seen[p])
        throw new Error(`${op}: channel ${p} is read twice (${what}[${j}]); perm and addPerm entries must all be distinct`);
      seen[p] = 1;
    }
  };
  check('perm', perm);
  if (args.addPerm !== undefined) {
    if (!Array.isArray(args.addPerm) || args.addPerm.length !== perm.length)
      throw new Error(
        `${op}: addPerm must be an array of ${perm.length} channel indices (perm's length), got ${String(args.addPerm?.length ?? args.addPerm)}`,
      );
    check('addPerm', args.addPerm);
  }
  if (addend !== undefined) {
    const want = [first.shape[0], first.shape[1], first.shape[2], perm.length];
    if (!isTensor(addend) || !tf.util.arraysEqual(addend.shape, want) || addend.dtype !== 'float32') {
      throw new Error(
        `${op}: addend must be float32 [${want}] (the output shape), got ${isTensor(addend) ? `${addend.dtype} [${addend.shape}]` : String(addend)}`,
      );
    }
  }
  const scale = args.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale))
    throw new Error(`${op}: scale must be a finite number, got ${String(scale)}`);
}

/** `inv[c]` = the output channel reading concatenated channel c (`addPerm`'s: `perm.length` + j), or -1. */
export function inversePerm(perm: readonly number[], total: number, addPerm: readonly number[] = []): Int32Array {
  const inv = new Int32Array(total).fill(-1);
  perm.forEach((p, j) => (inv[p] = j));
  addPerm.forEach((p, j) => (inv[p] = perm.length + j));
  return inv;
}

function isIdentity(perm: readonly number[], total: number): boolean {
  return perm.length === total && perm.every((p, j) => p === j);
}

function composedForward(
  inputs: tf.Tensor4D[],
  perm: readonly number[],
  addPerm: readonly number[],
  addend: tf.Tensor4D | undefined,
  scale: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const x = inputs.length === 1 ? inputs[0] : tf.concat(inputs, 3);
    const take = (p: readonly number[]): tf.Tensor4D =>
      isIdentity(p, x.shape[3]) ? x : tf.gather(x, tf.tensor1d(p as number[], 'int32'), 3);
    let y = take(perm);
    if (addPerm.length > 0) y = tf.add(y, take(addPerm));
    if (addend) y = tf.add(y, addend);
    return scale === 1 ? tf.clone(y) : tf.mul(y, scale);
  });
}

/** The scatter as tfjs ops: `dy` (+ a zero channel for unread ones) gathered by the inverse perm, split per input. */
function composedBackward(
  dy: tf.Tensor4D,
  perm: readonly number[],
  addPerm: readonly number[],
  channels: number[],
  hasAddend: boolean,
  scale: number,
): tf.Tensor[] {
  return tf.tidy(() => {
    const total = channels.reduce((a, c) => a + c, 0);
    const g: tf.Tensor4D = scale === 1 ? dy : tf.mul(dy, scale);
    const inv = inversePerm(perm, total, addPerm);
    // an addPerm channel reads the second copy of g
    let src: tf.Tensor4D = addPerm.length > 0 ? tf.concat([g, g], 3) : g;
    let idx = Array.from(inv);
    if (idx.some((v) => v < 0)) {
      const [b, h, w] = dy.shape;
      const unread = src.shape[3];
      src = tf.concat([src, tf.zeros([b, h, w, 1]) as tf.Tensor4D], 3);
      idx = idx.map((v) => (v < 0 ? unread : v));
    }
    const dcat = isIdentity(idx, src.shape[3]) ? tf.clone(src) : tf.gather(src, tf.tensor1d(idx, 'int32'), 3);
    const dxs = channels.length === 1 ? [dcat] : tf.split(dcat, channels, 3);
    return hasAddend ? [...dxs, tf.clone(g)] : dxs;
  });
}

/** Whether the active backend registers the gather kernels. */
export function channelGatherKernelAvailable(): boolean {
  const b = tf.getBackend();
  return tf.getKernel(CHANNEL_GATHER, b) != null && tf.getKernel(CHANNEL_GATHER_GRAD, b) != null;
}

function run(args: ChannelGatherArgs, useKernel: boolean): tf.Tensor4D {
  validateChannelGather(args);
  const { inputs, addend } = args;
  const perm = Array.from(args.perm);
  const addPerm = Array.from(args.addPerm ?? []);
  const scale = args.scale ?? 1;
  const channels = inputs.map((t) => t.shape[3]);
  const n = inputs.length;
  const f = tf.customGrad((...all: unknown[]) => {
    const ts = all.slice(0, -1) as tf.Tensor4D[];
    const xs = ts.slice(0, n);
    const add = addend ? ts[n] : undefined;
    let value: tf.Tensor4D;
    if (useKernel) {
      const named: Record<string, tf.Tensor> = {};
      xs.forEach((x, i) => (named[`x${i}`] = x));
      if (add) named.addend = add;
      const attrs: ChannelGatherAttrs = { perm, addPerm, scale, count: n };
      value = tf
        .engine()
        .runKernel(CHANNEL_GATHER, named as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    } else {
      value = composedForward(xs, perm, addPerm, add, scale);
    }
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const d = dy as tf.Tensor4D;
        if (!useKernel) return composedBackward(d, perm, addPerm, channels, !!add, scale);
        const attrs: ChannelGatherGradAttrs = { perm, addPerm, scale, channels, addend: !!add };
        return tf
          .engine()
          .runKernel(CHANNEL_GATHER_GRAD, { dy: d } as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  const tensors: tf.Tensor[] = addend ? [...inputs, addend] : [...inputs];
  return (f as unknown as (...t: tf.Tensor[]) => tf.Tensor4D)(...tensors);
}

/**
 * `scale · (concat(inputs)[..., perm] (+ concat(inputs)[..., addPerm]) + addend)` in one pass where the backend registers the
 * native kernels, else as composed tfjs ops; see {@link ChannelGatherArgs}.
 */
export function channelGather(args: ChannelGatherArgs): tf.Tensor4D {
  return run(args, channelGatherKernelAvailable());
}

/** The same op from composed tfjs ops only (the fallback, and the reference in tests). */
export function channelGatherComposed(args: ChannelGatherArgs): tf.Tensor4D {
  return run(args, false);
}
