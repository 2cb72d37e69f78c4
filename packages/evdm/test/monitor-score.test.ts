// Training monitor (JSONL, resume truncation, plain lines) and prediction scoring (best of N, baseline).
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu } from '../../../test-utils/tf';
import { TrainMonitor, formatSeconds } from '../src/train/monitor';
import { copyLastFrame, scorePrediction } from '../src/sample/score';

describe('TrainMonitor', () => {
  it('logs every N steps as JSONL and plain lines; a resume drops lines past the resumed step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-mon-'));
    try {
      const lines: string[] = [];
      const m = new TrainMonitor({ outDir: dir, totalSteps: 6, logEvery: 2, tty: false, write: (l) => lines.push(l) });
      for (let s = 1; s <= 6; s++) m.onStep({ step: s, loss: s, gradNorm: 1, lr: 1e-4 });
      m.finish();
      const log = () =>
        readFileSync(join(dir, 'train.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
      expect(log().map((l) => [l.step, l.loss])).toEqual([
        [2, 1.5],
        [4, 3.5],
        [6, 5.5],
      ]); // mean loss over each window
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^step 2\/6 {2}loss 1\.500 {2}[\d.]+ steps\/s {2}ETA /);
      expect(existsSync(join(dir, 'loss.svg'))).toBe(true);
      const r = new TrainMonitor({ outDir: dir, totalSteps: 6, startStep: 4, logEvery: 2, tty: false, write: () => {} });
      expect(log().map((l) => l.step)).toEqual([2, 4]);
      r.onStep({ step: 5, loss: 1, gradNorm: 1, lr: 1 });
      r.onStep({ step: 6, loss: 3, gradNorm: 1, lr: 1 });
      expect(log().map((l) => [l.step, l.loss])).toEqual([
        [2, 1.5],
        [4, 3.5],
        [6, 2],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formats ETAs', () => {
    expect(formatSeconds(42)).toBe('42s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(3 * 3600 + 60)).toBe('3h01m');
    expect(formatSeconds(Infinity)).toBe('?');
  });
});

describe('scorePrediction', () => {
  beforeAll(useCpu);

  it('best of N picks the closer trajectory; PSNR follows 10·log10(1/MSE) on (x + 1) / 2', () => {
    const real = tf.zeros([1, 2, 16, 16, 1]) as tf.Tensor5D; // 0.5 after mapping
    // trajectory 0 off by 0.2 (MSE 0.01 after mapping → 20 dB), trajectory 1 off by 0.02 (→ 40 dB)
    const pred = tf.concat([tf.fill([1, 2, 16, 16, 1], 0.2), tf.fill([1, 2, 16, 16, 1], -0.02)]) as tf.Tensor5D;
    const r = scorePrediction(real, pred, 2);
    expect(r.psnr.mean).toBeCloseTo(40, 3);
    expect(r.psnr.n).toBe(1);
    const r1 = scorePrediction(real, tf.slice(pred, [0], [1]) as tf.Tensor5D, 1);
    expect(r1.psnr.mean).toBeCloseTo(20, 3);
    expect(() => scorePrediction(real, pred, 3)).toThrow(/2 samples for 1 clips × 3 trajectories/);
    tf.dispose([real, pred]);
  });

  it('copy-last-frame repeats the last past frame', () => {
    const past = tf.tensor5d([1, 2, 3], [1, 3, 1, 1, 1]);
    const c = copyLastFrame(past, 4);
    expect(c.shape).toEqual([1, 4, 1, 1, 1]);
    expect(Array.from(c.dataSync())).toEqual([3, 3, 3, 3]);
    tf.dispose([past, c]);
  });
});
