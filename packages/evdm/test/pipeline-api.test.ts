// The typed pipeline API (train / sample / evaluateCheckpoint) from code: the README example run as
// written, resume through the API, tensor hygiene, and errors that name the option (not a CLI flag).
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { evaluateCheckpoint, readCheckpoint, sample, train } from 'evdm';

const tiny = {
  network: {
    preset: { model: 'evdm-l', dataset: 'smmnist' },
    baseChannels: 16,
    headChannels: 16,
    channelMult: [1, 2],
    numResBlocks: 1,
    imageSize: 16,
    attnResolutions: [8],
    pastFrames: 2,
    currentFrames: 1,
  },
  data: { source: 'smmnist', imageSize: 16, prefetch: 0 },
  train: { steps: 2, batchSize: 2, warmup: 0, logEvery: 1 },
};
const quiet = { log: () => {}, progress: () => {} };

describe('evdm typed pipelines', () => {
  it('the README example runs as written: trains, samples and evaluates from code', async () => {
    const ex = await import('../examples/train-sample-evaluate');
    const { run, sampled, report } = ex;
    expect(run).toMatchObject({ step: 4, stoppedBy: null, exitCode: 0 });
    expect(run.params).toBeGreaterThan(0);
    // the checkpoint it names verifies and holds step 4
    expect(readCheckpoint(run.checkpoint!).meta.step).toBe(4);
    expect(sampled).toMatchObject({
      step: 4,
      dataset: 'smmnist',
      mode: 'predict',
      horizon: 2,
      clips: 2,
      trajectories: 2,
      sampler: 'ddim',
      steps: 5,
    });
    expect(Number.isFinite(sampled.model!.psnr) && Number.isFinite(sampled.copyLastFrame!.psnr)).toBe(true);
    expect(report).toMatchObject({
      step: 4,
      model: 'EVDM-L',
      dataset: 'smmnist',
      clips: 4,
      trajectories: 2,
      horizon: 2,
      sampler: 'ddpm',
      steps: 5,
      fvd: null,
    });
    for (const v of [report.psnr, report.ssim]) expect(Number.isFinite(v)).toBe(true);
    for (const f of report.files) expect(existsSync(f), f).toBe(true);
    expect(
      JSON.parse(
        readFileSync(
          report.files.find((f) => f.endsWith('eval.json'))!,
          'utf8',
        ),
      ),
    ).toEqual(report);
  });

  it('the evdm README shows the example verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const src = readFileSync(new URL('../examples/train-sample-evaluate.ts', import.meta.url), 'utf8');
    expect(readme).toContain(src.slice(src.indexOf('import { mkdtempSync }')).trim());
  });

  it('resumes through the API, leaks no tensors, and names options (not flags) in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-pipeline-'));
    try {
      const out = join(dir, 'run');
      const a = await train({ config: tiny, out, backend: 'cpu', ...quiet });
      expect(a.step).toBe(2);
      const steps: number[] = [];
      const b = await train({ resume: out, overrides: { steps: 3 }, onStep: (r) => steps.push(r.step), ...quiet });
      expect(b).toMatchObject({ step: 3, outDir: out, stoppedBy: null });
      expect(steps).toEqual([3]);
      const before = tf.memory().numTensors;
      await sample({ checkpoint: out, out: join(dir, 's'), clips: 1, sampler: { steps: 2 }, log: () => {} });
      await evaluateCheckpoint({ checkpoint: out, out: join(dir, 'e'), clips: 2, sampler: { steps: 2 }, log: () => {} });
      expect(tf.memory().numTensors).toBe(before);

      const err = async (p: Promise<unknown>) =>
        p.then(
          () => 'no error',
          (e: Error) => e.message,
        );
      expect(await err(train({ resume: out, overrides: { seed: 5 }, ...quiet }))).toBe('seed cannot change on resume');
      expect(await err(train({ resume: out, overrides: { steps: 1 }, ...quiet }))).toMatch(
        /^steps 1 is below step 3 of the run in resume /,
      );
      expect(await err(train({ config: tiny, ...quiet }))).toMatch(/a new run needs out/);
      expect(await err(train({ config: tiny, resume: out, ...quiet }))).toMatch(
        /train needs either config .* or resume .*, not both/,
      );
      expect(await err(train({ config: tiny, out: join(dir, 'm'), maxMinutes: 0, ...quiet }))).toMatch(
        /maxMinutes must be a positive number, got 0/,
      );
      expect(
        await err(train({ config: { ...tiny, train: { ...tiny.train, stepz: 1 } }, out: join(dir, 'x'), ...quiet })),
      ).toMatch(/run config: invalid train config: unknown field\(s\) stepz/);
      expect(await err(sample({ checkpoint: out, trajectories: 0 }))).toBe('trajectories must be an integer >= 1, got 0');
      expect(await err(sample({ checkpoint: out, mode: 'dream' as 'predict' }))).toMatch(
        /^mode must be predict, interpolate or generate/,
      );
      expect(await err(sample({ checkpoint: join(dir, 'nope') }))).toMatch(/^checkpoint .*nope does not exist/);
      expect(await err(evaluateCheckpoint({ checkpoint: out, batch: 1.5 }))).toBe('batch must be an integer >= 1, got 1.5');
      expect(await err(evaluateCheckpoint({ checkpoint: out, sampler: { sampler: 'euler' as 'ddpm' } }))).toMatch(
        /^sampler must be ddpm or ddim, got "euler"/,
      );
      expect(await err(evaluateCheckpoint({ checkpoint: out, sampler: { steps: 5000 }, log: () => {} }))).toMatch(
        /^steps 5000: the checkpoint's schedule has T = 1000/,
      );
      expect(await err(evaluateCheckpoint({ checkpoint: out, batch: 1, trajectories: 1e7, log: () => {} }))).toMatch(
        /^batch 1 x trajectories 10000000 at horizon 1 needs about/,
      );
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
