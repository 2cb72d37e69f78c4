/**
 * Exponential moving average of weights (MCVD `EMAHelper`, rate 0.999, no warm-up):
 * shadow ← rate·shadow + (1 − rate)·w after every optimiser step; the shadow starts as a copy of w.
 * Sampling and evaluation use the EMA weights: `apply()` swaps them in, `restore()` swaps back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { failWith, type Fail } from '@evdm/core';

export interface EmaOptions {
  /** Decay rate in [0, 1). Default 0.999. */
  rate?: number;
}

/** Serialisable EMA state: plain numbers plus a named tensor map (tf.io weight conventions). */
export interface EmaState {
  rate: number;
  updates: number;
  shadow: tf.NamedTensorMap;
}

const fail: Fail = failWith('Ema');

/** Kernel name: inputs {shadow, x}, attrs {rate}; output shadow·rate + x·(1 − rate) in float32. */
export const EMA_KERNEL = 'EvdmEma';

export class Ema {
  readonly rate: number;
  private readonly names: string[];
  private readonly vars: tf.Variable[];
  private readonly shadows: tf.Variable[];
  private backup: tf.Tensor[] | null = null;
  private count = 0;
  private disposed = false;

  /** Tracks `vars` (array → names "0", "1", …; record → its keys). */
  constructor(vars: tf.Variable[] | Record<string, tf.Variable>, { rate = 0.999 }: EmaOptions = {}) {
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail(`rate must lie in [0, 1), got ${String(rate)}`);
    const entries: [string, tf.Variable][] = Array.isArray(vars)
      ? vars.map((v, i) => [String(i), v])
      : vars && typeof vars === 'object'
        ? Object.entries(vars)
        : fail('vars must be an array or a record of tf.Variable');
    if (entries.length === 0) fail('no variables to track');
    for (const [name, v] of entries) {
      if (!(v instanceof tf.Variable)) fail(`"${name}" is not a tf.Variable`);
      if (v.dtype !== 'float32') fail(`"${name}" has dtype ${v.dtype}; only float32 variables are averaged`);
    }
    this.rate = rate;
    this.names = entries.map(([n]) => n);
    this.vars = entries.map(([, v]) => v);
    // trainable = false: optimisers and tf.variableGrads must never touch the shadow copies.
    this.shadows = this.vars.map((v) => tf.variable(v, false, undefined, 'float32'));
  }

  /** Number of `update()` calls so far (restored by `setState`). */
  get updates(): number {
    return this.count;
  }

  /** The EMA weights by name (live variables owned by this Ema; do not dispose them). */
  get shadow(): Record<string, tf.Variable> {
    this.checkAlive();
    return Object.fromEntries(this.names.map((n, i) => [n, this.shadows[i]]));
  }

  /** True between `apply()` and `restore()`. */
  get applied(): boolean {
    return this.backup !== null;
  }

  /** shadow ← rate·shadow + (1 − rate)·w for every tracked variable. */
  update(): void {
    this.checkAlive();
    if (this.backup) fail('update() while the EMA weights are applied; call restore() first');
    const r = this.rate;
    // @evdm/backend-native registers `EvdmEma`: the same float32 arithmetic in one pass over memory
    const fused = tf.getKernel(EMA_KERNEL, tf.getBackend()) != null;
    tf.tidy(() => {
      this.shadows.forEach((s, i) => {
        const x = this.vars[i];
        const next = fused
          ? (tf.engine().runKernel(
              EMA_KERNEL,
              { shadow: s, x } as unknown as tf.NamedTensorMap,
              {
                rate: r,
              } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor)
          : tf.add(tf.mul(s, r), tf.mul(x, 1 - r));
        s.assign(next);
      });
    });
    this.count++;
  }

  /** Copies the EMA weights into the tracked variables, keeping the live weights for `restore()`. */
  apply(): void {
    this.checkAlive();
    if (this.backup) fail('apply() called twice without restore()');
    this.backup = this.vars.map((v) => tf.clone(v));
    this.vars.forEach((v, i) => v.assign(this.shadows[i]));
  }

  /** Puts the live (training) weights back after `apply()`. */
  restore(): void {
    this.checkAlive();
    if (!this.backup) fail('restore() without a preceding apply()');
    const b = this.backup;
    this.vars.forEach((v, i) => v.assign(b[i]));
    tf.dispose(b);
    this.backup = null;
  }

  /** Runs `fn` with the EMA weights applied and always restores the live ones. */
  withApplied<R>(fn: () => R): R {
    this.apply();
    try {
      return fn();
    } finally {
      this.restore();
    }
  }

  /** Copies of the state for a checkpoint (caller owns the tensors). */
  getState(): EmaState {
    this.checkAlive();
    return {
      rate: this.rate,
      updates: this.count,
      shadow: Object.fromEntries(this.names.map((n, i) => [n, tf.clone(this.shadows[i])])),
    };
  }

  /** Loads a checkpointed state; names and shapes must match exactly. Input tensors are not taken over. */
  setState(state: EmaState): void {
    this.checkAlive();
    if (!state || typeof state !== 'object' || !state.shadow) fail('setState needs {rate, updates, shadow}');
    if (!Number.isInteger(state.updates) || state.updates < 0)
      fail(`state.updates must be a non-negative integer, got ${state.updates}`);
    const extra = Object.keys(state.shadow).filter((k) => !this.names.includes(k));
    if (extra.length) fail(`state has unknown shadow names: ${extra.join(', ')}`);
    this.names.forEach((n, i) => {
      const t = state.shadow[n];
      if (!(t instanceof tf.Tensor)) fail(`state is missing shadow "${n}"`);
      if (t.dtype !== 'float32') fail(`shadow "${n}" has dtype ${t.dtype}, expected float32`);
      const want = this.shadows[i].shape;
      if (t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j])) {
        fail(`shadow "${n}" has shape [${t.shape}], expected [${want}]`);
      }
    });
    this.names.forEach((n, i) => this.shadows[i].assign(state.shadow[n]));
    this.count = state.updates;
  }

  /** Frees the shadow variables (and a pending backup, restoring the live weights first). */
  dispose(): void {
    if (this.disposed) return;
    if (this.backup) this.restore();
    tf.dispose(this.shadows);
    this.disposed = true;
  }

  private checkAlive(): void {
    if (this.disposed) fail('used after dispose()');
  }
}
