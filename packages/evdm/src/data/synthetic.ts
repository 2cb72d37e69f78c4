import * as tf from '@tensorflow/tfjs-core';
import { Rng, type RngState } from '@evdm/core';
import type { Clip, ClipSource } from './source';

/** Options of the seeded bouncing-square clips (a data set needing no download, for tests and demos). */
export interface SyntheticClipOptions {
  batchSize: number;
  imageSize: number;
  channels?: number;
  past: number;
  current: number;
  future?: number;
  seed?: number;
  /** Side of the square in pixels; default imageSize / 4. */
  squareSize?: number;
}

/**
 * Bright squares moving at a constant velocity and bouncing off the borders on a dark background,
 * values in [-1, 1], shape [B, frames, H, W, C]. Every batch is drawn from one Rng whose state is
 * the source state, so a resumed run continues the same sequence exactly.
 */
export class SyntheticClipSource implements ClipSource {
  readonly options: Required<SyntheticClipOptions>;
  private readonly rng: Rng;

  constructor(opts: SyntheticClipOptions) {
    const o = { channels: 1, future: 0, seed: 0, squareSize: Math.max(1, Math.floor(opts.imageSize / 4)), ...opts };
    for (const k of ['batchSize', 'imageSize', 'channels', 'current'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1)
        throw new Error(`SyntheticClipSource: ${k} must be a positive integer, got ${o[k]}`);
    }
    for (const k of ['past', 'future'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 0)
        throw new Error(`SyntheticClipSource: ${k} must be a non-negative integer, got ${o[k]}`);
    }
    if (o.squareSize >= o.imageSize)
      throw new Error(`SyntheticClipSource: squareSize ${o.squareSize} must be below imageSize ${o.imageSize}`);
    this.options = o;
    this.rng = new Rng(o.seed, 0x5eed);
  }

  /** Host-side frames of one batch: Float32Array [B, frames, H, W, C]. */
  drawFrames(): Float32Array {
    const { batchSize: B, imageSize: S, channels: C, past, current, future, squareSize: q } = this.options;
    const F = past + current + future;
    const out = new Float32Array(B * F * S * S * C).fill(-1);
    const span = S - q;
    for (let b = 0; b < B; b++) {
      let x = this.rng.uniform() * span;
      let y = this.rng.uniform() * span;
      let vx = (this.rng.uniform() * 2 - 1) * 2;
      let vy = (this.rng.uniform() * 2 - 1) * 2;
      for (let f = 0; f < F; f++) {
        const x0 = Math.round(x);
        const y0 = Math.round(y);
        for (let yy = y0; yy < y0 + q; yy++) {
          for (let xx = x0; xx < x0 + q; xx++) {
            const base = (((b * F + f) * S + yy) * S + xx) * C;
            for (let c = 0; c < C; c++) out[base + c] = 1;
          }
        }
        x += vx;
        y += vy;
        if (x < 0 || x > span) {
          vx = -vx;
          x = Math.min(span, Math.max(0, x));
        }
        if (y < 0 || y > span) {
          vy = -vy;
          y = Math.min(span, Math.max(0, y));
        }
      }
    }
    return out;
  }

  async next(): Promise<Clip> {
    const { batchSize: B, imageSize: S, channels: C, past, current, future } = this.options;
    const F = past + current + future;
    const all = tf.tensor5d(this.drawFrames(), [B, F, S, S, C]);
    const part = (start: number, n: number) => tf.slice(all, [0, start, 0, 0, 0], [B, n, S, S, C]) as tf.Tensor5D;
    const clip: Clip = { current: part(past, current) };
    if (past > 0) clip.past = part(0, past);
    if (future > 0) clip.future = part(past + current, future);
    all.dispose();
    return clip;
  }

  getState(): RngState & { spare: number | null } {
    return this.rng.state();
  }

  setState(state: unknown): void {
    this.rng.setState(state as RngState);
  }
}
