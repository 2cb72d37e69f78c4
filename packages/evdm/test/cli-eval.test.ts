// evdm eval / sample --dataset through the BUILT CLI on a tiny checkpoint trained on SM-MNIST (no download).
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu } from '../../../test-utils/tf';
import { runEval, type EvalFlags } from '../src/commands/eval';
import { I3D, saveI3D } from '@evdm/metrics';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, EVDM_LOG: 'quiet' } });

const tiny = {
  network: {
    preset: { model: 'evdm-l', dataset: 'smmnist' },
    baseChannels: 16,
    channelMult: [1, 2],
    numResBlocks: 1,
    imageSize: 16,
    attnResolutions: [8],
    headChannels: 16,
    pastFrames: 2,
    currentFrames: 1,
  },
  data: { source: 'smmnist', imageSize: 16, prefetch: 0 },
  train: { steps: 3, batchSize: 2, warmup: 1, checkpointEvery: 0, logEvery: 1 },
};

let dir = '';
let runDir = '';
beforeAll(async () => {
  await useCpu();
  dir = mkdtempSync(join(tmpdir(), 'evdm-cli-eval-'));
  const i3d = I3D.random({ width: 1 / 8, numClasses: 16, logitsPool: [1, 1, 1] }, 3);
  await saveI3D(i3d, join(dir, 'i3d'));
  i3d.dispose();
  writeFileSync(join(dir, 'run.json'), JSON.stringify(tiny));
  runDir = join(dir, 'run');
  const t = run('train', '--config', join(dir, 'run.json'), '--out', runDir, '--backend', 'wasm');
  expect(t.status, t.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evdm eval (built CLI)', () => {
  it('evaluates a tiny SM-MNIST checkpoint on the test split: JSON keys, finite metrics, files, seeded determinism', () => {
    const args = [
      'eval',
      '--checkpoint',
      runDir,
      '--clips',
      '3',
      '--batch',
      '2',
      '--trajectories',
      '2',
      '--steps',
      '2',
      '--horizon',
      '2',
      '--backend',
      'wasm',
      '--json',
    ];
    const a = run(...args, '--out', join(dir, 'e1'));
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/batch 1\/2 \(2\/3 clips/);
    expect(a.stderr).toMatch(/batch 2\/2 \(3\/3 clips/);
    const r = JSON.parse(a.stdout);
    for (const k of [
      'checkpoint',
      'step',
      'dataset',
      'mode',
      'clips',
      'trajectories',
      'sampler',
      'steps',
      'psnr',
      'ssim',
      'psnr_ci95',
      'ssim_ci95',
      'fvd',
      'copy_last_frame',
      'seconds',
    ])
      expect(r, k).toHaveProperty(k);
    expect(r).toMatchObject({
      step: 3,
      dataset: 'smmnist',
      mode: 'predict',
      clips: 3,
      trajectories: 2,
      sampler: 'ddpm',
      steps: 2,
      horizon: 2,
      test_set_size: 256,
      fvd: null,
    });
    expect(r.fvd_note).toMatch(/FVD skipped: pass --i3d DIR/);
    for (const v of [r.psnr, r.ssim, r.psnr_ci95, r.copy_last_frame.psnr, r.copy_last_frame.ssim])
      expect(Number.isFinite(v)).toBe(true);
    expect(r.ssim).toBeLessThanOrEqual(1);
    for (const f of ['eval.json', 'grid.png', 'sample.gif']) expect(existsSync(join(dir, 'e1', f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'e1', 'eval.json'), 'utf8')).psnr).toBe(r.psnr);
    // same seed, same numbers
    const b = JSON.parse(run(...args, '--out', join(dir, 'e2')).stdout);
    expect([b.psnr, b.ssim]).toEqual([r.psnr, r.ssim]);
    // the human table, with --i3d (a saved random tiny I3D stands in for the converted weights: loads through loadI3D)
    const h = run(
      'eval',
      '--checkpoint',
      runDir,
      '--clips',
      '2',
      '--batch',
      '2',
      '--steps',
      '2',
      '--no-ema',
      '--backend',
      'wasm',
      '--out',
      join(dir, 'e4'),
      '--i3d',
      join(dir, 'i3d'),
    );
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/Method\s+FVD\s+PSNR\s+SSIM/);
    expect(h.stdout).toMatch(/EVDM-L \(ours\)\s+-?\d+\.\d\d\s+-?[\d.]+ ± [\d.]+\s+-?[\d.]+ ± [\d.]+/);
    expect(h.stdout).toMatch(/FVD: I3D from --i3d/);
    expect(Number.isFinite(JSON.parse(readFileSync(join(dir, 'e4', 'eval.json'), 'utf8')).fvd)).toBe(true);
    expect(h.stdout).toMatch(/copy last frame/);
  });

  it('evdm sample reads the recorded dataset (or --dataset) instead of synthetic clips', () => {
    const s = run('sample', '--checkpoint', runDir, '--clips', '1', '--steps', '2', '--out', join(dir, 's'), '--backend', 'wasm');
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).dataset).toBe('smmnist');
    expect(s.stderr).toMatch(/1 clips from the smmnist test split/);
    const syn = run(
      'sample',
      '--checkpoint',
      runDir,
      '--clips',
      '1',
      '--steps',
      '2',
      '--out',
      join(dir, 's2'),
      '--dataset',
      'synthetic',
      '--backend',
      'wasm',
    );
    expect(syn.status, syn.stderr).toBe(0);
    expect(JSON.parse(syn.stdout).dataset).toBe('synthetic');
  });

  it('bad flags give clear errors', async () => {
    // through the CLI once (the "evdm: error:" path and exit code), the rest in-process (no process start-up each)
    const cli = run('eval', '--checkpoint', join(dir, 'nope'));
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/^evdm: error: --checkpoint .*nope does not exist/);
    const e = async (f: Partial<EvalFlags>) => {
      try {
        await runEval({ checkpoint: runDir, out: join(dir, 'bad'), backend: 'cpu', ...f }, () => {});
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(await e({ dataset: 'imagenet' })).toMatch(
      /--dataset "imagenet" is unknown \(have: synthetic, smmnist, kth, bair, ucf101\)/,
    );
    expect(await e({ dataset: 'kth' })).toMatch(/--dataset kth needs --data-path DIR/);
    expect(await e({ dataset: 'kth', dataPath: join(dir, 'no-kth') })).toMatch(/no-kth/);
    expect(await e({ trajectories: '0' })).toMatch(/--trajectories must be an integer >= 1, got "0"/);
    expect(await e({ trajectories: 'ten' })).toMatch(/--trajectories must be an integer >= 1, got "ten"/);
    expect(await e({ mode: 'dream' })).toMatch(/--mode must be predict, interpolate or generate/);
    expect(await e({ mode: 'interpolate', clips: '1' })).toMatch(/interpolate needs a model trained with past and future frames/);
    expect(await e({ data: join(dir, 'missing.json') })).toMatch(/cannot read config file .*missing.json/);
    expect(await e({ dataPath: join(dir, 'x') })).toMatch(/--data-path .*: give --dataset NAME too/);
    expect(run('eval', '--help').stdout).toMatch(/--i3d <dir>/);
  });
});
