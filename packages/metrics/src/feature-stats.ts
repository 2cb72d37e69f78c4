import * as tf from '@tensorflow/tfjs-core';
import { brandedInstanceOf, hasBrand } from '@evdm/core';

/** JSON form of {@link FeatureStats} (`FeatureStats.fromJSON(stats.toJSON())` round-trips exactly). */
export interface FeatureStatsJSON {
  format: 'evdm-feature-stats';
  version: 1;
  dim: number;
  count: number;
  mean: number[];
  /** Row-major D×D co-moment Σ (x - mean)(x - mean)ᵀ. */
  comoment: number[];
}

/** A batch of feature rows: a `[N, D]` tensor, an array of rows, or a flat row-major array. */
export type FeatureBatch = tf.Tensor | ArrayLike<number>[] | { data: ArrayLike<number>; rows: number };

/**
 * Streaming mean and covariance of feature vectors in float64 on the host. Batches are merged
 * with the pairwise (Chan et al.) update of mean and co-moment, so memory is O(D²) however many
 * rows are added, and the result equals the two-pass estimate up to rounding.
 */
const FEATURE_STATS_BRAND: unique symbol = Symbol.for('@evdm/metrics/FeatureStats');

/** True for a `FeatureStats` from any build (ESM/CJS) or installed copy of this package. */
export function isFeatureStats(x: unknown): x is FeatureStats {
  return hasBrand(x, FEATURE_STATS_BRAND);
}

export class FeatureStats {
  /** `instanceof FeatureStats` holds across builds and copies of this package (see @evdm/core brand.ts). */
  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedInstanceOf(FeatureStats, this, FEATURE_STATS_BRAND, x);
  }

  get [FEATURE_STATS_BRAND](): true {
    return true;
  }

  readonly dim: number;
  private n = 0;
  private readonly mu: Float64Array;
  private readonly m2: Float64Array;

  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`FeatureStats: dim must be a positive integer, got ${dim}`);
    this.dim = dim;
    this.mu = new Float64Array(dim);
    this.m2 = new Float64Array(dim * dim);
  }

  /** Number of rows added so far. */
  get count(): number {
    return this.n;
  }

  /** A copy of the running mean. */
  get mean(): Float64Array {
    return this.mu.slice();
  }

  /** Adds a batch of rows (tensors are read to the host; they are not disposed). */
  add(batch: FeatureBatch): this {
    const { data, rows } = this.toRows(batch);
    if (rows === 0) return this;
    const d = this.dim;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`FeatureStats.add: feature row ${Math.floor(i / d)} has a non-finite value at column ${i % d}`);
      }
    }
    // batch mean and centred co-moment, then merge
    const bm = new Float64Array(d);
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) bm[j] += data[r * d + j];
    for (let j = 0; j < d; j++) bm[j] /= rows;
    const xc = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) xc[r * d + j] = data[r * d + j] - bm[j];
    const n0 = this.n;
    const n1 = n0 + rows;
    const delta = new Float64Array(d);
    for (let j = 0; j < d; j++) delta[j] = bm[j] - this.mu[j];
    const w = (n0 * rows) / n1;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += xc[r * d + i] * xc[r * d + j];
        const v = s + w * delta[i] * delta[j];
        this.m2[i * d + j] += v;
        if (j !== i) this.m2[j * d + i] += v;
      }
    }
    for (let j = 0; j < d; j++) this.mu[j] += (delta[j] * rows) / n1;
    this.n = n1;
    return this;
  }

  /** Merges another accumulator of the same dimension into this one. */
  merge(other: FeatureStats): this {
    if (other.dim !== this.dim) throw new Error(`FeatureStats.merge: dim ${other.dim} != ${this.dim}`);
    if (other.n === 0) return this;
    const d = this.dim;
    const n1 = this.n + other.n;
    const w = (this.n * other.n) / n1;
    const om = other.mu;
    for (let i = 0; i < d; i++) {
      const di = om[i] - this.mu[i];
      for (let j = 0; j < d; j++) this.m2[i * d + j] += other.m2[i * d + j] + w * di * (om[j] - this.mu[j]);
    }
    for (let j = 0; j < d; j++) this.mu[j] += ((om[j] - this.mu[j]) * other.n) / n1;
    this.n = n1;
    return this;
  }

  /** Covariance with `ddof` (default 1, numpy `np.cov`): co-moment / (count - ddof). */
  covariance(ddof = 1): Float64Array {
    if (this.n - ddof <= 0) {
      throw new Error(`FeatureStats.covariance: needs more than ${ddof} rows, have ${this.n}`);
    }
    return this.m2.map((v) => v / (this.n - ddof));
  }

  toJSON(): FeatureStatsJSON {
    return {
      format: 'evdm-feature-stats',
      version: 1,
      dim: this.dim,
      count: this.n,
      mean: Array.from(this.mu),
      comoment: Array.from(this.m2),
    };
  }

  static fromJSON(json: FeatureStatsJSON): FeatureStats {
    if (json?.format !== 'evdm-feature-stats' || json.version !== 1) {
      throw new Error('FeatureStats.fromJSON: not an evdm-feature-stats v1 object');
    }
    const s = new FeatureStats(json.dim);
    if (json.mean.length !== json.dim || json.comoment.length !== json.dim * json.dim) {
      throw new Error(`FeatureStats.fromJSON: mean/comoment sizes do not match dim ${json.dim}`);
    }
    s.n = json.count;
    s.mu.set(json.mean);
    s.m2.set(json.comoment);
    return s;
  }

  private toRows(batch: FeatureBatch): { data: ArrayLike<number>; rows: number } {
    const d = this.dim;
    if (batch instanceof tf.Tensor) {
      if (batch.rank !== 2 || batch.shape[1] !== d) {
        throw new Error(`FeatureStats.add: expected a [N, ${d}] tensor, got shape [${batch.shape}]`);
      }
      return { data: batch.dataSync(), rows: batch.shape[0] };
    }
    if (Array.isArray(batch)) {
      const rows = batch.length;
      const data = new Float64Array(rows * d);
      batch.forEach((row, r) => {
        if (row.length !== d) throw new Error(`FeatureStats.add: row ${r} has ${row.length} values, expected ${d}`);
        for (let j = 0; j < d; j++) data[r * d + j] = row[j];
      });
      return { data, rows };
    }
    const { data, rows } = batch as { data: ArrayLike<number>; rows: number };
    if (data.length !== rows * d) {
      throw new Error(`FeatureStats.add: ${data.length} values is not ${rows} rows of ${d}`);
    }
    return { data, rows };
  }
}
