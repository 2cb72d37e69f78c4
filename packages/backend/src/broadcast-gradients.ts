// Gradients of Sum and Mean as one broadcast of the (small) upstream gradient.
// The stock configs (shipped in the tfjs-layers bundle) multiply it by `ones(x.shape)`, a tensor
// filled element by element in JS (and page-faulted in), then run a full-size Multiply: ~47 ms of
// an EVDM-L-KTH training step went into that fill alone. `tf.broadcastTo` is one Tile kernel (a
// strided copy on the native cpu host, C++ on wasm). Values are bit-identical: dy·1 = dy, and Mean
// divides the small tensor by the same count before broadcasting instead of after.
import * as tf from '@tensorflow/tfjs-core';

/** `dy` reshaped to x's rank with the reduced axes kept as size 1. */
function expandReduced(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return tf.reshape(dy, shape);
}

/** Sum: dy broadcast over the reduced axes; Mean: the same divided by their size (before broadcasting). */
function broadcastGrad(kernelName: 'Sum' | 'Mean'): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axis = (attrs as { axis: number | number[] }).axis;
      const small = expandReduced(dy as tf.Tensor, x, axis);
      if (kernelName === 'Sum') return { x: () => tf.broadcastTo(small, x.shape) };
      const count = tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * x.shape[a], 1);
      return { x: () => tf.broadcastTo(tf.div(small, count), x.shape) };
    },
  };
}

/** Registers the Sum and Mean gradients above (over whatever was registered before). */
export function registerBroadcastGradients(): void {
  tf.registerGradient(broadcastGrad('Sum'));
  tf.registerGradient(broadcastGrad('Mean'));
}
