import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { writeGif } from '../io/gif';
import { tileFrames, toUint8Frames } from './frames';

/** Writes an 8-bit gray or RGB image as PNG (pngjs encoder). */
export function writePng(path: string, data: Uint8Array, width: number, height: number, channels: 1 | 3): void {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = data[i * channels + (channels === 1 ? 0 : c)];
    png.data[i * 4 + 3] = 255;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, PNG.sync.write(png), 'PNG');
}

export interface ComparisonInput {
  /** Conditioning frames [B, P, H, W, C] (shown first in every row), optional. */
  context?: tf.Tensor5D;
  /** Ground truth of the predicted frames [B, T, H, W, C], optional. */
  real?: tf.Tensor5D;
  /** Samples [B·N, T, H, W, C] (N trajectories per clip, sample b·N + n). */
  predicted: tf.Tensor5D;
  trajectories?: number;
}

function checkChannels(C: number): 1 | 3 {
  if (C !== 1 && C !== 3) throw new Error(`images need 1 or 3 channels, got ${C}`);
  return C;
}

/**
 * A PNG grid: for each clip one row `context | real` (when given) followed by one row per
 * trajectory `context | predicted`, frames left to right, so real and predicted line up column by column.
 */
export function writeComparisonGrid(path: string, inp: ComparisonInput): void {
  const { predicted } = inp;
  const N = inp.trajectories ?? 1;
  const [M, , H, W, Cn] = predicted.shape;
  const C = checkChannels(Cn);
  if (M % N !== 0) throw new Error(`writeComparisonGrid: ${M} samples are not a multiple of ${N} trajectories`);
  const B = M / N;
  const ctx = inp.context ? toUint8Frames(inp.context) : null;
  const real = inp.real ? toUint8Frames(inp.real) : null;
  const pred = toUint8Frames(predicted);
  const rows: Array<Array<Uint8Array | null>> = [];
  for (let b = 0; b < B; b++) {
    const c = ctx ? ctx[b] : [];
    if (real) rows.push([...c, ...real[b]]);
    for (let n = 0; n < N; n++) rows.push([...c.map(() => null), ...pred[b * N + n]]);
  }
  const img = tileFrames(rows, H, W, C);
  writePng(path, img.data, img.width, img.height, C);
}

/**
 * An animated GIF, one frame per time step, showing every clip side by side: on top the real
 * video (context then ground truth), below it trajectory 1 of the prediction (context then samples).
 */
export function writeComparisonGif(path: string, inp: ComparisonInput, { scale = 4, delayMs = 250 } = {}): void {
  const { predicted } = inp;
  const N = inp.trajectories ?? 1;
  const [M, T, H, W, Cn] = predicted.shape;
  const C = checkChannels(Cn);
  const B = M / N;
  const ctx = inp.context ? toUint8Frames(inp.context) : null;
  const real = inp.real ? toUint8Frames(inp.real) : null;
  const pred = toUint8Frames(predicted);
  const P = ctx ? ctx[0].length : 0;
  const frames: Uint8Array[] = [];
  let size = { width: 0, height: 0 };
  for (let t = 0; t < P + T; t++) {
    const top: Array<Uint8Array | null> = [];
    const bottom: Array<Uint8Array | null> = [];
    for (let b = 0; b < B; b++) {
      const context = t < P ? ctx![b][t] : null;
      top.push(context ?? (real ? real[b][t - P] : null));
      bottom.push(context ?? pred[b * N][t - P]);
    }
    const img = tileFrames(real || ctx ? [top, bottom] : [bottom], H, W, C);
    size = img;
    frames.push(img.data);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeGif(path, frames, { width: size.width, height: size.height, channels: C, scale, delayMs });
}
