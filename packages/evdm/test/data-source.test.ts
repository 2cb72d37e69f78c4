// Clip sources: iterator wrapper and the seeded synthetic clips (values, motion, resumable state).
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../../../test-utils/tf';
import { clipSourceFromIterable, type Clip } from '../src/data/source';
import { SyntheticClipSource } from '../src/data/synthetic';

describe('clip sources', () => {
  beforeAll(useCpu);

  it('clipSourceFromIterable restarts an exhausted iterator and rejects an empty one', async () => {
    let opened = 0;
    const src = clipSourceFromIterable(async function* () {
      opened++;
      for (let i = 0; i < 2; i++) yield { current: tf.fill([1, 1, 2, 2, 1], i) as tf.Tensor5D } as Clip;
    });
    const vals: number[] = [];
    for (let k = 0; k < 5; k++) {
      const c = await src.next();
      vals.push(c.current.dataSync()[0]);
      c.current.dispose();
    }
    expect(vals).toEqual([0, 1, 0, 1, 0]);
    expect(opened).toBe(3);
    const empty = clipSourceFromIterable(() => []);
    await expect(empty.next()).rejects.toThrow(/clip source is empty/);
  });

  it('synthetic clips: values in {-1, 1}, one q×q square per frame, seeded, and resumable from getState', async () => {
    const a = new SyntheticClipSource({ batchSize: 3, imageSize: 12, past: 2, current: 2, future: 1, seed: 4 });
    const c = await a.next();
    expect(c.past!.shape).toEqual([3, 2, 12, 12, 1]);
    expect(c.current.shape).toEqual([3, 2, 12, 12, 1]);
    expect(c.future!.shape).toEqual([3, 1, 12, 12, 1]);
    const v = c.current.dataSync();
    expect(v.every((x) => x === -1 || x === 1)).toBe(true);
    // each frame holds exactly one 3×3 square (imageSize / 4)
    for (let f = 0; f < 6; f++) expect(v.slice(f * 144, (f + 1) * 144).filter((x) => x === 1).length).toBe(9);
    tf.dispose([c.past!, c.current, c.future!]);
    const st = a.getState();
    const n1 = a.drawFrames();
    const b = new SyntheticClipSource({ batchSize: 3, imageSize: 12, past: 2, current: 2, future: 1, seed: 0 });
    b.setState(st);
    expect(Array.from(b.drawFrames())).toEqual(Array.from(n1));
    expect(() => new SyntheticClipSource({ batchSize: 0, imageSize: 12, past: 1, current: 1 })).toThrow(
      /batchSize must be a positive integer/,
    );
  });
});
