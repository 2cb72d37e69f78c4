import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu, leakedTensors } from '../../../test-utils/tf';
import { Adam } from '../src/train/adam';
import { latestCheckpoint, writeCheckpoint } from '../src/train/checkpoint';
import { readCheckpoint } from '../src/train/checkpoint-read';
import { writeGif } from '../src/io/gif';
import { writeLossPlotSvg } from '../src/io/loss-plot';

describe('Adam (MCVD settings)', () => {
  beforeAll(useCpu);

  it('matches the closed-form Adam update, warm-up and clipping', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new Adam([p], { lr: 0.1, warmup: 2, gradClip: 1 });
    expect(opt.learningRate()).toBe(0); // first update uses lr 0 (MCVD: lr·min(step/warmup,1))
    opt.apply([tf.tensor1d([3, 4])]); // norm 5 > 1: clipped to [0.6, 0.8]
    expect(Array.from(p.dataSync())).toEqual([1, -2]);
    // second step: lr = 0.05, t = 2; grad [0.3, 0.4] (norm 0.5, not clipped)
    const g = [0.3, 0.4];
    const g1 = [0.6, 0.8];
    const norm = opt.apply([tf.tensor1d(g)]);
    expect(norm).toBeCloseTo(0.5, 6);
    const expected = [0, 1].map((i) => {
      const m = 0.9 * (0.1 * g1[i]) + 0.1 * g[i];
      const v = 0.999 * (0.001 * g1[i] ** 2) + 0.001 * g[i] ** 2;
      const mh = m / (1 - 0.9 ** 2);
      const vh = v / (1 - 0.999 ** 2);
      return [1, -2][i] - (0.05 * mh) / (Math.sqrt(vh) + 1e-8);
    });
    const got = Array.from(p.dataSync());
    expect(got[0]).toBeCloseTo(expected[0], 5);
    expect(got[1]).toBeCloseTo(expected[1], 5);
    expect(
      leakedTensors(() => {
        const gt = tf.tensor1d(g);
        opt.apply([gt]);
        gt.dispose();
      }),
    ).toBe(0);
    opt.dispose();
    p.dispose();
  });

  it('rejects bad settings and mismatched gradients', () => {
    const p = tf.variable(tf.zeros([2]));
    expect(() => new Adam([p], { lr: -1 })).toThrow(/lr must be >= 0/);
    const opt = new Adam([p]);
    expect(() => opt.apply([])).toThrow(/0 gradients for 1 parameters/);
  });
});

describe('checkpoints', () => {
  beforeAll(useCpu);

  it('round-trip exactly, keep the newest K, and name corrupt files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'evdm-ckpt-'));
    const w = tf.randomNormal([3, 4], 0, 1, 'float32', 1);
    for (const step of [10, 20, 30, 40]) {
      await writeCheckpoint(
        root,
        step,
        { model: [{ name: 'w', tensor: w }] },
        { step, rng: { state: 'ab', inc: 'cd' } },
        { keep: 2 },
      );
    }
    expect(
      readdirSync(root)
        .filter((d) => d.startsWith('step-'))
        .sort(),
    ).toEqual(['step-30', 'step-40']);
    const dir = latestCheckpoint(root)!;
    const ck = readCheckpoint(dir);
    expect(ck.meta.step).toBe(40);
    expect((ck.meta.state.rng as { state: string }).state).toBe('ab');
    expect(Array.from(ck.groups.model.w.dataSync())).toEqual(Array.from(w.dataSync()));
    // truncate the shard: a clear error naming the file
    const bin = join(dir, 'model.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    expect(() => readCheckpoint(dir)).toThrow(/model\.bin has 10 bytes, its manifest needs 48/);
    expect(() => readCheckpoint(join(root, 'nope'))).toThrow(/meta\.json is missing/);
    expect(existsSync(join(root, 'step-30', 'meta.json'))).toBe(true); // the older checkpoint is intact
  });
});

describe('outputs', () => {
  it('writes a GIF with the right header and frame count, and an SVG plot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-out-'));
    const frames = [0, 1, 2].map((k) => Uint8Array.from({ length: 16 }, (_, i) => (i * 16 + k * 40) % 256));
    writeGif(join(dir, 'a.gif'), frames, { width: 4, height: 4, channels: 1, scale: 2 });
    const gif = readFileSync(join(dir, 'a.gif'));
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(gif.readUInt16LE(6)).toBe(8);
    expect(gif.readUInt16LE(8)).toBe(8);
    // one image descriptor (0x2c after a graphic control extension) per frame
    let n = 0;
    for (let i = 0; i < gif.length - 1; i++) if (gif[i] === 0x21 && gif[i + 1] === 0xf9) n++;
    expect(n).toBe(3);
    expect(() => writeGif(join(dir, 'b.gif'), [new Uint8Array(3)], { width: 4, height: 4, channels: 1 })).toThrow(
      /frame 0 has 3 values/,
    );
    writeLossPlotSvg(join(dir, 'loss.svg'), [
      { step: 1, loss: 10 },
      { step: 2, loss: 1 },
      { step: 3, loss: 0.5 },
    ]);
    expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toContain('<path d="M');
  });
});
