import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { gradCheck, useCpu } from '../../../test-utils/tf';
import { loadGolden, u8Stream } from '../../../test-utils/golden';

describe('scaffold', () => {
  it('has gradients and golden data', async () => {
    await useCpu();
    expect(u8Stream(1, 8)).toEqual(loadGolden('ssim_psnr.json').generator.check_seed_1_first8_u8);
    const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 3);
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 4);
    expect(gradCheck((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), [x, w])).toBeLessThan(1e-2);
  });
});
