import * as tf from '@tensorflow/tfjs-core';
import { FeatureStats } from './feature-stats';
import { frechetDistance, type FrechetTerms } from './frechet';
import type { I3D } from './i3d-model';
import { preprocessForI3D, type I3DPreprocessOptions } from './i3d-preprocess';
import { loadI3D } from './i3d-weights';

export interface FvdOptions {
  /** The pretrained network (`loadI3D(dir)`), or the directory of its converted weights. Required. */
  i3d: I3D | string;
  /** Resize mode and size (default: reference FVD, 224×224). */
  preprocess?: I3DPreprocessOptions;
  /** Videos per I3D call (default 10, as MCVD). */
  batchSize?: number;
}

/** Videos `[B,T,H,W,C]` in [0,1], or a (possibly async) stream of such batches. */
export type VideoSource = tf.Tensor | Iterable<tf.Tensor> | AsyncIterable<tf.Tensor>;

function resolveI3D(i3d: I3D | string | undefined): I3D {
  if (typeof i3d === 'string' || i3d === undefined) return loadI3D(i3d);
  return i3d;
}

/**
 * Streams videos through I3D and accumulates the feature statistics of a "real" and a "fake"
 * set: only the running mean and co-moment are kept (O(D²) memory, D = 400), never the videos or
 * the features, so memory does not grow with the number of videos.
 */
export class FvdAccumulator {
  readonly i3d: I3D;
  readonly real: FeatureStats;
  readonly fake: FeatureStats;
  private readonly preprocess: I3DPreprocessOptions;
  private readonly batchSize: number;

  constructor(options: FvdOptions) {
    if (!options || options.i3d === undefined) {
      // never fall back to a random network: FVD with random weights is meaningless
      loadI3D(undefined);
    }
    this.i3d = resolveI3D(options.i3d);
    this.preprocess = options.preprocess ?? {};
    this.batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(`FvdAccumulator: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.real = new FeatureStats(this.i3d.config.numClasses);
    this.fake = new FeatureStats(this.i3d.config.numClasses);
  }

  /** I3D features `[B, D]` (host float32, row-major) of videos `[B,T,H,W,C]` in [0,1]. */
  features(videos: tf.Tensor): Float32Array {
    if (videos.rank !== 5) throw new Error(`FVD: expected videos [B,T,H,W,C] in [0,1], got shape [${videos.shape}]`);
    const b = videos.shape[0];
    const d = this.i3d.config.numClasses;
    const out = new Float32Array(b * d);
    for (let start = 0; start < b; start += this.batchSize) {
      const n = Math.min(this.batchSize, b - start);
      const f = tf.tidy(() => {
        const chunk = tf.slice(videos, [start, 0, 0, 0, 0], [n, -1, -1, -1, -1]);
        return this.i3d.features(preprocessForI3D(chunk, this.preprocess));
      });
      out.set(f.dataSync(), start * d);
      f.dispose();
    }
    return out;
  }

  /** Adds a batch of real videos. The tensor is not disposed. */
  addReal(videos: tf.Tensor): this {
    this.real.add({ data: this.features(videos), rows: videos.shape[0] });
    return this;
  }

  /** Adds a batch of generated videos. The tensor is not disposed. */
  addFake(videos: tf.Tensor): this {
    this.fake.add({ data: this.features(videos), rows: videos.shape[0] });
    return this;
  }

  /** FVD between everything added so far (each set needs at least 2 videos). */
  compute(): FrechetTerms {
    if (this.real.count < 2 || this.fake.count < 2) {
      throw new Error(`FVD needs at least 2 real and 2 fake videos, have ${this.real.count} and ${this.fake.count}`);
    }
    return frechetDistance(this.real, this.fake);
  }
}

async function feed(source: VideoSource, add: (t: tf.Tensor) => void): Promise<void> {
  if (source instanceof tf.Tensor) {
    add(source);
    return;
  }
  if (Symbol.asyncIterator in (source as object)) {
    for await (const t of source as AsyncIterable<tf.Tensor>) add(t);
    return;
  }
  for (const t of source as Iterable<tf.Tensor>) add(t);
}

/**
 * Fréchet Video Distance between real and generated videos. Both may be a tensor or a stream of
 * batches (tensors from a stream are not disposed by this function). Needs the pretrained I3D:
 * pass `i3d: loadI3D(dir)` or the weights directory; without it, it throws an explanation.
 */
export async function computeFvd(
  options: FvdOptions & { real: VideoSource; fake: VideoSource },
): Promise<FrechetTerms & { realCount: number; fakeCount: number }> {
  const acc = new FvdAccumulator(options);
  await feed(options.real, (t) => acc.addReal(t));
  await feed(options.fake, (t) => acc.addFake(t));
  return { ...acc.compute(), realCount: acc.real.count, fakeCount: acc.fake.count };
}
