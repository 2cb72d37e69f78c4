import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../../../test-utils/tf';
import { ParamStore, paramCount, type ParamSpec } from '../src/params';
import { varianceScalingUniform } from '../src/init';
import { Rng } from '../src/rng';

const specs: ParamSpec[] = [
  { name: 'blk/conv/kernel', shape: [3, 3, 4, 8], init: { kind: 'varianceScaling', scale: 1 } },
  { name: 'blk/conv/bias', shape: [8], init: { kind: 'zeros' } },
  { name: 'blk/norm/gamma', shape: [8], init: { kind: 'ones' } },
];

describe('ParamStore', () => {
  beforeAll(useCpu);

  it('counts, initialises deterministically and within the variance-scaling limit', () => {
    expect(paramCount(specs)).toBe(288 + 16);
    const a = new ParamStore(specs, 3);
    const b = new ParamStore(specs, 3);
    const k = a.read('blk/conv/kernel').dataSync();
    expect(Array.from(k)).toEqual(Array.from(b.read('blk/conv/kernel').dataSync()));
    const limit = Math.sqrt(3 / ((36 + 72) / 2));
    expect(Math.max(...Array.from(k).map(Math.abs))).toBeLessThanOrEqual(limit);
    // uniform on [-limit, limit] has variance limit^2 / 3
    const v = Array.from(k).reduce((s, x) => s + x * x, 0) / k.length;
    expect(Math.abs(v - (limit * limit) / 3) / ((limit * limit) / 3)).toBeLessThan(0.25);
    expect(Array.from(a.read('blk/norm/gamma').dataSync())).toEqual(new Array(8).fill(1));
    a.dispose();
    b.dispose();
  });

  it('round-trips through tf.io encodeWeights/decodeWeights', async () => {
    const a = new ParamStore(specs, 1);
    const b = new ParamStore(specs, 2);
    const { data, specs: manifest } = await a.encode();
    b.decodeAndLoad(data, manifest);
    expect(Array.from(b.read('blk/conv/kernel').dataSync())).toEqual(Array.from(a.read('blk/conv/kernel').dataSync()));
    a.dispose();
    b.dispose();
  });

  it('names the problem when weights do not fit', () => {
    const a = new ParamStore(specs, 1);
    expect(() => a.load({ 'blk/conv/bias': tf.zeros([8]) })).toThrow(/missing parameter "blk\/conv\/kernel"/);
    expect(() =>
      a.load({ 'blk/conv/kernel': tf.zeros([3, 3, 4, 8]), 'blk/conv/bias': tf.zeros([9]), 'blk/norm/gamma': tf.zeros([8]) }),
    ).toThrow(/"blk\/conv\/bias" have shape \[9\], expected \[8\]/);
    expect(() => new ParamStore([specs[0], specs[0]])).toThrow(/duplicate parameter name/);
    expect(() => a.read('nope')).toThrow(/unknown parameter "nope"/);
    a.dispose();
  });

  it('zero scale gives effectively zero weights (MCVD default_init(0))', () => {
    const w = varianceScalingUniform(100, 10, 10, 0, new Rng(0));
    expect(Math.max(...Array.from(w).map(Math.abs))).toBeLessThan(1e-4);
  });
});

describe('ParamStore trainable flags', () => {
  beforeAll(useCpu);
  it('keeps non-trainable buffers out of trainableVariables()', () => {
    const s = new ParamStore([...specs, { name: 'blk/features', shape: [4, 2], init: { kind: 'ones' }, trainable: false }], 1);
    expect(s.variableList().length).toBe(4);
    expect(s.trainableVariables().length).toBe(3);
    expect(s.variables()['blk/features'].trainable).toBe(false);
    s.dispose();
  });
});
