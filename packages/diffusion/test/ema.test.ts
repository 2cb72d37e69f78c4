import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { leakedTensors, useCpu } from '../../../test-utils/tf';
import { Ema } from '../src/ema';

beforeAll(useCpu);
const vals = (t: tf.Tensor) => Array.from(t.dataSync());

describe('Ema', () => {
  it('follows shadow_n = w + (s0 − w)·rate^n for a fixed weight, and the 0.999 default', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const ema = new Ema({ w }, { rate: 0.9 });
    expect(new Ema([w]).rate).toBe(0.999);
    w.assign(tf.tensor1d([3, 0]));
    for (let n = 1; n <= 5; n++) {
      ema.update();
      const s = vals(ema.shadow.w);
      expect(s[0]).toBeCloseTo(3 + (1 - 3) * 0.9 ** n, 6);
      expect(s[1]).toBeCloseTo(0 + (-2 - 0) * 0.9 ** n, 6);
    }
    expect(ema.updates).toBe(5);
    ema.dispose();
    w.dispose();
  });

  it('apply() swaps the EMA weights in, restore() swaps the live ones back', () => {
    const a = tf.variable(tf.tensor2d([[1, 2]]));
    const b = tf.variable(tf.scalar(10));
    const ema = new Ema([a, b], { rate: 0.5 });
    a.assign(tf.tensor2d([[3, 4]]));
    b.assign(tf.scalar(20));
    ema.update(); // shadow: [2, 3], 15
    ema.apply();
    expect(ema.applied).toBe(true);
    expect(vals(a)).toEqual([2, 3]);
    expect(vals(b)).toEqual([15]);
    expect(() => ema.update()).toThrow(/update\(\) while the EMA weights are applied/);
    expect(() => ema.apply()).toThrow(/apply\(\) called twice/);
    ema.restore();
    expect(vals(a)).toEqual([3, 4]);
    expect(vals(b)).toEqual([20]);
    expect(() => ema.restore()).toThrow(/restore\(\) without a preceding apply\(\)/);
    expect(ema.withApplied(() => vals(b)[0])).toBe(15);
    expect(vals(b)).toEqual([20]);
    // the shadow copies are not trainable: optimisers never see them
    expect(Object.values(ema.shadow).every((v) => !v.trainable)).toBe(true);
    ema.dispose();
    tf.dispose([a, b]);
  });

  it('state round-trips through a checkpoint and is validated', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const ema = new Ema({ 'layer/w': w }, { rate: 0.8 });
    w.assign(tf.tensor1d([0, 0, 0]));
    ema.update();
    ema.update();
    const st = ema.getState();
    const other = new Ema({ 'layer/w': w }, { rate: 0.8 });
    other.setState(st);
    expect(other.updates).toBe(2);
    expect(vals(other.shadow['layer/w'])).toEqual(vals(ema.shadow['layer/w']));
    const bad = { rate: 0.8, updates: 1, shadow: { 'layer/w': tf.zeros([4]) } };
    expect(() => other.setState(bad)).toThrow(/shadow "layer\/w" has shape \[4\], expected \[3\]/);
    expect(() => other.setState({ rate: 0.8, updates: 1, shadow: {} })).toThrow(/missing shadow "layer\/w"/);
    expect(() => other.setState({ ...st, shadow: { ...st.shadow, extra: st.shadow['layer/w'] } })).toThrow(
      /unknown shadow names: extra/,
    );
    tf.dispose([...Object.values(st.shadow), bad.shadow['layer/w']]);
    ema.dispose();
    other.dispose();
    w.dispose();
  });

  it('keeps the tensor count flat over updates and apply/restore cycles; dispose frees the shadows', () => {
    const w = tf.variable(tf.randomNormal([8, 8]));
    const before = tf.memory().numTensors;
    const ema = new Ema([w]);
    expect(
      leakedTensors(() => {
        ema.update();
        ema.apply();
        ema.restore();
      }, 10),
    ).toBe(0);
    ema.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => ema.update()).toThrow(/used after dispose/);
    w.dispose();
  });

  it('rejects bad arguments', () => {
    const w = tf.variable(tf.zeros([2]));
    expect(() => new Ema([w], { rate: 1 })).toThrow(/rate must lie in \[0, 1\)/);
    expect(() => new Ema([])).toThrow(/no variables/);
    expect(() => new Ema([tf.zeros([2]) as tf.Variable])).toThrow(/"0" is not a tf.Variable/);
    w.dispose();
  });
});
