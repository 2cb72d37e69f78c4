// Comparison PNG grid and GIF: layout and pixel values read back with the decoders.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { useCpu } from '../../../test-utils/tf';
import { writeComparisonGif, writeComparisonGrid } from '../src/sample/write';
import { toUint8Frames } from '../src/sample/frames';

describe('sample writers', () => {
  beforeAll(useCpu);

  it('maps [-1, 1] to 0..255 with (x + 1) / 2 and clamps', () => {
    const v = tf.tensor5d([-1, 0, 1, 2], [1, 4, 1, 1, 1]);
    expect(toUint8Frames(v)[0].map((f) => f[0])).toEqual([0, 128, 255, 255]);
    v.dispose();
  });

  it('grid: one real row and N prediction rows per clip, frames aligned by column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-grid-'));
    try {
      const context = tf.fill([2, 1, 4, 4, 1], -1) as tf.Tensor5D; // black
      const real = tf.fill([2, 3, 4, 4, 1], 1) as tf.Tensor5D; // white
      const predicted = tf.fill([4, 3, 4, 4, 1], 0) as tf.Tensor5D; // mid gray
      writeComparisonGrid(join(dir, 'g.png'), { context, real, predicted, trajectories: 2 });
      const png = PNG.sync.read(readFileSync(join(dir, 'g.png')));
      // 4 columns (1 context + 3 frames), 2 clips × (1 real + 2 predicted) rows, 1-pixel gaps
      expect(png.width).toBe(4 * 4 + 5);
      expect(png.height).toBe(6 * 4 + 7);
      const px = (x: number, y: number) => png.data[(y * png.width + x) * 4];
      expect(px(1, 1)).toBe(0); // context, row 0
      expect(px(6, 1)).toBe(255); // real frame 1
      expect(px(6, 6)).toBe(128); // trajectory 1 frame 1
      writeComparisonGif(join(dir, 'g.gif'), { context, real, predicted, trajectories: 2 }, { scale: 2 });
      const gif = readFileSync(join(dir, 'g.gif'));
      expect(gif.subarray(0, 6).toString('ascii')).toBe('GIF89a');
      // logical screen: 2 clips side by side, 2 rows (real, predicted), scaled ×2
      expect(gif.readUInt16LE(6)).toBe((2 * 4 + 3) * 2);
      expect(gif.readUInt16LE(8)).toBe((2 * 4 + 3) * 2);
      tf.dispose([context, real, predicted]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
