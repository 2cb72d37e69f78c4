import * as tf from '@tensorflow/tfjs-core';
import type { ParamReader } from '@evdm/core';

/** The engine's tape slot; a nested gradient computation must not clobber the outer one. */
interface EngineTapeState {
  state: { activeTape: unknown };
}

/**
 * Gradient checkpointing for one U-Net step: runs `fn` without keeping its intermediate activations
 * for the backward pass and recomputes them when the gradient is needed. Peak memory drops from
 * every intermediate of every block to the blocks' inputs plus one block's intermediates, at the
 * price of one extra forward pass per block. `fn` must be deterministic (dropout masks are seeded).
 *
 * `paramNames` are every parameter `fn` reads: they become explicit inputs of the recorded op, so
 * gradients flow to them (a closure-captured variable would be invisible to the tape).
 */
export function rematerialized(
  fn: (read: ParamReader, inputs: tf.Tensor[]) => tf.Tensor,
  read: ParamReader,
  paramNames: string[],
  inputs: tf.Tensor[],
): tf.Tensor {
  const n = inputs.length;
  const params = paramNames.map((name) => read(name));
  const run = (all: tf.Tensor[]): tf.Tensor => {
    const byName = new Map(paramNames.map((name, i) => [name, all[n + i]]));
    const local: ParamReader = (name) => {
      const t = byName.get(name);
      if (!t) throw new Error(`rematerialized step reads parameter "${name}" that is not in its parameter list`);
      return t;
    };
    return fn(local, all.slice(0, n));
  };
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as (tensors: tf.Tensor[]) => void;
    const all = args.slice(0, -1) as tf.Tensor[];
    save(all);
    const value = tf.tidy(() => run(all));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const engine = tf.engine() as unknown as EngineTapeState;
        const outerTape = engine.state.activeTape;
        try {
          const { value: y, grads } = tf.engine().gradients(() => run(saved), saved, dy, true);
          y.dispose();
          return saved.map((x, i) => grads[i] ?? tf.zerosLike(x));
        } finally {
          engine.state.activeTape = outerTape;
        }
      },
    };
  });
  return op(...inputs, ...params);
}
