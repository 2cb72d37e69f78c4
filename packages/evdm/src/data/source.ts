import type * as tf from '@tensorflow/tfjs-core';

/**
 * One training batch as `@evdm/datasets`' clip loader yields it: NHWC frames in [-1, 1], either
 * [B, frames, H, W, C] or already stacked as [B, H, W, frames·C]. The trainer takes ownership and
 * disposes the tensors after the step.
 */
export interface Clip {
  past?: tf.Tensor4D | tf.Tensor5D;
  current: tf.Tensor4D | tf.Tensor5D;
  future?: tf.Tensor4D | tf.Tensor5D;
}

/**
 * Where the trainer gets batches. `getState`/`setState` make a source resumable: a checkpoint stores
 * the state and a resumed run continues the exact same batch sequence. Sources without them still
 * train, but a resumed run then sees a different batch order (the trainer says so).
 */
export interface ClipSource {
  next(): Promise<Clip>;
  getState?(): unknown;
  setState?(state: unknown): void;
  /** Stops background work (prefetch); optional. */
  close?(): void | Promise<void>;
}

/** Wraps any (async) iterator of clips, e.g. `createClipLoader(...)`; restarts it when it ends. */
export function clipSourceFromIterable(make: () => AsyncIterable<Clip> | Iterable<Clip>): ClipSource {
  let it: AsyncIterator<Clip> | Iterator<Clip> | null = null;
  const open = () => {
    const src = make();
    it =
      Symbol.asyncIterator in src
        ? (src as AsyncIterable<Clip>)[Symbol.asyncIterator]()
        : (src as Iterable<Clip>)[Symbol.iterator]();
    return it;
  };
  return {
    async next() {
      let r = await (it ?? open()).next();
      if (r.done) {
        r = await open().next();
        if (r.done) throw new Error('clip source is empty: the iterator ended without yielding a batch');
      }
      return r.value;
    },
    async close() {
      const cur = it as { return?: () => unknown } | null;
      if (cur?.return) await cur.return();
    },
  };
}
