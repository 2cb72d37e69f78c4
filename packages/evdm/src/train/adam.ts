import * as tf from '@tensorflow/tfjs-core';

/**
 * Adam as MCVD trains (docs/mcvd-reference.md §7): β (0.9, 0.999), eps 1e-8, no weight decay, linear warm-up
 * `lr·min(step/warmup, 1)` where step counts completed updates (so the first update uses lr 0),
 * gradient clipping by global L2 norm. Its whole state (moments and step) is plain tensors, so a
 * checkpoint restores it exactly.
 */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  warmup: number;
  /** Global-norm clip; 0 or Infinity disables. */
  gradClip: number;
}

/** Kernel of @evdm/backend-native: the squared L2 norm of any number of tensors in one call (double sum). */
const SUM_OF_SQUARES = 'EvdmSumOfSquares';

export const DEFAULT_ADAM: AdamConfig = { lr: 2e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, warmup: 5000, gradClip: 1 };

export class Adam {
  readonly config: AdamConfig;
  step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly params: tf.Variable[],
    config: Partial<AdamConfig> = {},
  ) {
    this.config = { ...DEFAULT_ADAM, ...config };
    const c = this.config;
    if (!(c.lr >= 0)) throw new Error(`Adam: lr must be >= 0, got ${c.lr}`);
    if (!(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1)) throw new Error(`Adam: betas must be in [0, 1)`);
    if (!(c.warmup >= 0)) throw new Error(`Adam: warmup must be >= 0, got ${c.warmup}`);
    this.m = params.map((p) => tf.variable(tf.zerosLike(p), false));
    this.v = params.map((p) => tf.variable(tf.zerosLike(p), false));
  }

  learningRate(step = this.step): number {
    const { lr, warmup } = this.config;
    return warmup > 0 ? lr * Math.min(step / warmup, 1) : lr;
  }

  /** The global L2 norm of `grads` (NaN or Infinity when a gradient is not finite). */
  globalNorm(grads: tf.Tensor[]): number {
    if (grads.length === 0) return 0;
    // one kernel call instead of a Square and a Sum per gradient when the backend has it
    const fused = tf.getKernel(SUM_OF_SQUARES, tf.getBackend()) != null && grads.every((g) => g.dtype === 'float32');
    const sq = tf.tidy(() =>
      fused
        ? (tf.engine().runKernel(SUM_OF_SQUARES, { ...grads } as unknown as tf.NamedTensorMap) as tf.Tensor)
        : tf.addN(grads.map((g) => tf.sum(tf.square(g)))),
    );
    try {
      // float32 sqrt, as tf.sqrt would give
      return Math.fround(Math.sqrt(sq.dataSync()[0]));
    } finally {
      sq.dispose();
    }
  }

  /**
   * Applies one update from gradients aligned with the parameter list. Returns the global gradient
   * norm before clipping (for logging and NaN detection); pass `norm` when it is already known
   * (from {@link globalNorm} of the same gradients).
   */
  apply(grads: tf.Tensor[], norm = this.globalNorm(grads)): number {
    if (grads.length !== this.params.length)
      throw new Error(`Adam: ${grads.length} gradients for ${this.params.length} parameters`);
    const { beta1, beta2, eps, gradClip } = this.config;
    const lr = this.learningRate();
    const t = this.step + 1;
    const clip = gradClip > 0 && Number.isFinite(gradClip) && norm > gradClip ? gradClip / (norm + 1e-6) : 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    // @evdm/backend-native registers `EvdmAdam`: the same update in one pass over memory
    const fused = tf.getKernel('EvdmAdam', tf.getBackend()) != null;
    tf.tidy(() => {
      grads.forEach((g0, i) => {
        if (fused && g0.dtype === 'float32') {
          const inputs = { param: this.params[i], grad: g0, m: this.m[i], v: this.v[i] } as unknown as tf.NamedTensorMap;
          const attrs = { beta1, beta2, lrOverBc1: lr / bc1, bc2, eps, clip } as unknown as tf.NamedAttrMap;
          const [p, m, v] = tf.engine().runKernel('EvdmAdam', inputs, attrs) as tf.Tensor[];
          this.m[i].assign(m);
          this.v[i].assign(v);
          this.params[i].assign(p);
          return;
        }
        const g = clip === 1 ? g0 : tf.mul(g0, clip);
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.mul(m, lr / bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        this.params[i].assign(tf.sub(this.params[i], update));
      });
    });
    this.step = t;
    return norm;
  }

  /** Moments in parameter order, for checkpoints. */
  stateTensors(): { m: tf.Variable[]; v: tf.Variable[] } {
    return { m: this.m, v: this.v };
  }

  loadState(step: number, m: tf.Tensor[], v: tf.Tensor[]): void {
    if (m.length !== this.m.length || v.length !== this.v.length) {
      throw new Error(`optimizer state has ${m.length}/${v.length} moments, the model has ${this.m.length} parameters`);
    }
    m.forEach((t, i) => this.m[i].assign(t));
    v.forEach((t, i) => this.v[i].assign(t));
    this.step = step;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
