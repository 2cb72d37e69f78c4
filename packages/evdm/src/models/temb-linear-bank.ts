/**
 * Every block's Dense layers on SiLU(temb) as ONE matmul at inference (weights folded side by side):
 * EVDM-L-KTH has 112 such Linears (14.1 M of its 20.4 M parameters), each a separate thin matmul
 * plus its tfjs bookkeeping per sampling step. The folded `[T, ΣN]` kernel and `[ΣN]` bias are built
 * once per weight version and kept as plain Float32Arrays, outside the tfjs engine (no tensor is
 * held between calls); a weight update gives a tensor a new dataId, which rebuilds them.
 *
 * Used only where it cannot change results or gradients: no gradient tape recording (training takes
 * the per-layer path, so every Linear keeps its own gradient), and the cpu backend, whose tensors
 * wrap a Float32Array without copying it (elsewhere a per-call upload would cost what it saves).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamReader } from '@evdm/core';

interface Folded {
  /** The kernel and bias tensors the arrays were built from (identity of their data). */
  sources: object[];
  kernel: Float32Array;
  bias: Float32Array;
  inDim: number;
  widths: number[];
}

const tapeRecording = () => (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;

export class TembLinearBank {
  private folded: Folded | null = null;

  /** `prefixes`: the Dense layers (`${p}/kernel` `[T, N]`, `${p}/bias` `[N]`) applied to SiLU(temb). */
  constructor(readonly prefixes: readonly string[]) {}

  /** Whether `apply` would fold at this call (see the module comment). */
  active(): boolean {
    return this.prefixes.length > 1 && tf.getBackend() === 'cpu' && !tapeRecording();
  }

  /**
   * The outputs `[B, N]` of every Linear on `act` `[B, T]` by prefix, from one matmul; undefined when
   * not active or a weight is not a 2-D float32 `[T, N]` kernel with an `[N]` bias (the blocks then run
   * their own Linears, with their own errors). Call inside a tidy: the results are ordinary tensors.
   */
  apply(read: ParamReader, act: tf.Tensor2D): ((prefix: string) => tf.Tensor2D | undefined) | undefined {
    if (!this.active()) return undefined;
    const f = this.fold(read, act.shape[1]);
    if (!f) return undefined;
    const kernel = tf.tensor2d(f.kernel, [f.inDim, f.kernel.length / f.inDim]);
    const bias = tf.tensor1d(f.bias);
    const parts = tf.split(tf.fused.matMul({ a: act, b: kernel, bias }), f.widths, 1) as tf.Tensor2D[];
    const byPrefix = new Map(this.prefixes.map((p, i) => [p, parts[i]]));
    return (prefix) => byPrefix.get(prefix);
  }

  private fold(read: ParamReader, inDim: number): Folded | null {
    const tensors = this.prefixes.flatMap((p) => [read(`${p}/kernel`), read(`${p}/bias`)]);
    const sources = tensors.map((t) => t.dataId);
    const f = this.folded;
    if (f && f.inDim === inDim && f.sources.every((s, i) => s === sources[i])) return f;
    const widths: number[] = [];
    for (let i = 0; i < tensors.length; i += 2) {
      const [k, b] = [tensors[i], tensors[i + 1]];
      const n = k.shape[1];
      if (
        k.rank !== 2 ||
        k.shape[0] !== inDim ||
        k.dtype !== 'float32' ||
        b.rank !== 1 ||
        b.shape[0] !== n ||
        b.dtype !== 'float32'
      )
        return null;
      widths.push(n);
    }
    const total = widths.reduce((a, n) => a + n, 0);
    const kernel = new Float32Array(inDim * total);
    const bias = new Float32Array(total);
    let off = 0;
    widths.forEach((n, j) => {
      const k = tensors[2 * j].dataSync() as Float32Array;
      for (let r = 0; r < inDim; r++) kernel.set(k.subarray(r * n, (r + 1) * n), r * total + off);
      bias.set(tensors[2 * j + 1].dataSync() as Float32Array, off);
      off += n;
    });
    this.folded = { sources, kernel, bias, inDim, widths };
    return this.folded;
  }
}
