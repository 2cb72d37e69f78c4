// Train a tiny EVDM-L for a few steps, sample from it and evaluate it, all from code (no downloads).
// Runs as written in test/readme-example.test.ts; the evdm README shows this file verbatim.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateCheckpoint, sample, train } from 'evdm';

const dir = mkdtempSync(join(tmpdir(), 'evdm-example-'));

// 1. Train: a run config (preset + overrides, data, train section) into a new run directory.
//    Checkpoints are written atomically; Ctrl-C stops after the current step with a checkpoint.
export const run = await train({
  config: {
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
    data: { source: 'smmnist', imageSize: 16 }, // Stochastic Moving MNIST, generated, pooled to 16 px
    train: { steps: 4, batchSize: 2, warmup: 0, logEvery: 1 },
  },
  out: join(dir, 'run'),
  backend: 'cpu',
});
console.log(`trained ${run.step} steps of ${run.params} parameters: ${run.checkpoint}`);

// 2. Sample: predict 2 frames of 2 test clips, 2 trajectories each (grid.png, sample.gif, sample.json).
export const sampled = await sample({
  checkpoint: run.outDir,
  out: join(dir, 'sample'),
  horizon: 2,
  clips: 2,
  trajectories: 2,
  sampler: { sampler: 'ddim', steps: 5 },
});
console.log(`sampled PSNR ${sampled.model?.psnr.toFixed(2)} dB (copy last frame ${sampled.copyLastFrame?.psnr.toFixed(2)})`);

// 3. Evaluate on the test split of the run's data as the paper does: best-of-N PSNR / SSIM
//    (FVD too with `fvd: 'path/to/converted/i3d'`); writes eval.json, grid.png, sample.gif.
export const { report } = await evaluateCheckpoint({
  checkpoint: run.outDir,
  out: join(dir, 'eval'),
  clips: 4,
  trajectories: 2,
  horizon: 2,
  sampler: { steps: 5 },
});
console.log(`${report.model} on ${report.dataset}: PSNR ${report.psnr}, SSIM ${report.ssim}, files ${report.files.join(', ')}`);
