// groupNormTail (the Split reduce case normalises only the channels its bottleneck reads) against the
// literal GroupNorm-then-slice, forward and every gradient, for each modulation form.
import * as tf from '@tensorflow/tfjs-core';
import { groupNorm, type GroupNormArgs } from '@evdm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { relL2, useCpu } from '../../../test-utils/tf';
import { groupNormTail } from '../src/group-norm-tail';

const B = 2;
const C = 24;
const G = 6; // 4 channels per group

function args(kind: 'modulation' | 'scale-shift' | 'affine', ts: tf.Tensor[]): GroupNormArgs {
  const [x, a, b] = ts;
  const base = { x, groups: G, eps: 1e-5, activation: 'relu' as const };
  if (kind === 'modulation') return { ...base, modulation: a as tf.Tensor2D };
  if (kind === 'scale-shift') return { ...base, scale: a as tf.Tensor2D, shift: b as tf.Tensor2D, activation: 'silu' };
  return { ...base, gamma: a as tf.Tensor1D, beta: b as tf.Tensor1D, activation: 'none' };
}

function inputs(kind: 'modulation' | 'scale-shift' | 'affine'): tf.Tensor[] {
  const x = tf.randomNormal([B, 3, 5, C], 0.3, 1.2, 'float32', 1);
  if (kind === 'modulation') return [x, tf.randomNormal([B, 2 * C], 0, 0.5, 'float32', 2)];
  if (kind === 'scale-shift')
    return [x, tf.randomNormal([B, C], 0, 0.5, 'float32', 2), tf.randomNormal([B, C], 0, 0.5, 'float32', 3)];
  return [x, tf.randomNormal([C], 1, 0.5, 'float32', 2), tf.randomNormal([C], 0, 0.5, 'float32', 3)];
}

describe('groupNormTail = GroupNorm of all channels, then the tail', () => {
  beforeAll(useCpu);

  for (const kind of ['modulation', 'scale-shift', 'affine'] as const) {
    for (const start of [4, 12, 20]) {
      it(`${kind}, tail from channel ${start}: forward and the gradients of every input`, () => {
        const ts = inputs(kind);
        const literal = (...xs: tf.Tensor[]) =>
          tf.slice(groupNorm(args(kind, xs)) as tf.Tensor4D, [0, 0, 0, start], [B, 3, 5, C - start]);
        const tail = (...xs: tf.Tensor[]) => groupNormTail(args(kind, xs), start)!;
        expect(relL2(tail(...ts).dataSync(), literal(...ts).dataSync())).toBeLessThan(1e-6);
        const dy = tf.randomNormal([B, 3, 5, C - start], 0, 1, 'float32', 9);
        const g = (f: (...xs: tf.Tensor[]) => tf.Tensor) => tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(ts);
        const [want, got] = [g(literal), g(tail)];
        want.forEach((w, i) => expect(relL2(got[i].dataSync(), w.dataSync()), `input ${i}`).toBeLessThan(1e-5));
        tf.dispose([...ts, dy, ...want, ...got]);
      });
    }
  }

  it('returns null where the tail does not start on a group boundary (or is empty / everything)', () => {
    const ts = inputs('modulation');
    for (const start of [0, 3, 6, 24]) expect(groupNormTail(args('modulation', ts), start)).toBeNull();
    tf.dispose(ts);
  });
});
