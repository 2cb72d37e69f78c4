import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { stackFrames, unstackFrames } from '../src/layout';
import { useCpu } from '../../../test-utils/tf';

beforeAll(useCpu);

describe('frame stacking (docs/mcvd-reference.md §2)', () => {
  it('puts frame f, channel c at channel f*C + c', () => {
    const [B, T, H, W, C] = [2, 3, 2, 2, 2];
    const vals = new Float32Array(B * T * H * W * C).map((_, i) => i);
    const x = tf.tensor5d(vals, [B, T, H, W, C]);
    const s = stackFrames(x);
    expect(s.shape).toEqual([B, H, W, T * C]);
    const sv = s.arraySync();
    const xv = x.arraySync();
    for (let b = 0; b < B; b++)
      for (let f = 0; f < T; f++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) expect(sv[b][h][w][f * C + c]).toBe(xv[b][f][h][w][c]);
    const back = unstackFrames(s, T);
    expect(Array.from(back.dataSync())).toEqual(Array.from(vals));
    tf.dispose([x, s, back]);
  });

  it('rejects wrong ranks and frame counts', () => {
    const x = tf.zeros([1, 2, 2, 6]) as tf.Tensor4D;
    expect(() => stackFrames(x as unknown as tf.Tensor5D)).toThrow(/\[B, T, H, W, C\]/);
    expect(() => unstackFrames(x, 4)).toThrow(/dividing the 6 channels/);
    x.dispose();
  });
});
