// evdm train / sample through the BUILT CLI: a tiny run, resume, sampling, and clear errors.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, EVDM_LOG: 'quiet' } });

const tiny = {
  network: {
    preset: { model: 'evdm-l', dataset: 'smmnist' },
    baseChannels: 16,
    channelMult: [1, 2],
    imageSize: 16,
    attnResolutions: [8],
    headChannels: 16,
    pastFrames: 1,
    currentFrames: 1,
  },
  data: { source: 'synthetic', seed: 1 },
  train: { steps: 2, batchSize: 1, warmup: 1, checkpointEvery: 1, sampleEvery: 2, logEvery: 1 },
  preview: { sampler: 'ddim', steps: 2 },
};

describe('evdm train / sample (built CLI)', () => {
  it('trains, resumes, samples, and writes log, plot, checkpoints, grids and GIF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-cli-train-'));
    try {
      const cfg = join(dir, 'run.json');
      writeFileSync(cfg, JSON.stringify(tiny));
      const out = join(dir, 'run');
      // a wall-time budget that is over after the first step: stops there with a checkpoint
      const a = run('train', '--config', cfg, '--out', out, '--max-minutes', '0.00001', '--backend', 'cpu');
      expect(a.status, a.stderr).toBe(0);
      expect(a.stdout + a.stderr).toMatch(/runs for 0\.00001 min from step 0 \(at most 2 steps\)/);
      expect(a.stderr).toMatch(/step 1 {2}loss [\d.]+ {2}[\d.]+ steps\/s {2}\d+s of 1s, 0s left/);
      expect(a.stderr).toMatch(/done at step 1; checkpoint .*step-1/);
      const again = run('train', '--config', cfg, '--out', out, '--backend', 'cpu');
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/already holds a training run; continue it with --resume/);
      const b = run('train', '--resume', out, '--steps', '2', '--backend', 'cpu');
      expect(b.status, b.stderr).toBe(0);
      const lines = readFileSync(join(out, 'train.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.step)).toEqual([1, 2]);
      for (const f of ['loss.svg', 'samples/step-2.png', 'checkpoints/step-2/meta.json', 'checkpoints/step-1/meta.json'])
        expect(existsSync(join(out, f)), f).toBe(true);
      const s = run(
        'sample',
        '--checkpoint',
        out,
        '--out',
        join(dir, 's'),
        '--horizon',
        '2',
        '--clips',
        '1',
        '--trajectories',
        '2',
        '--sampler',
        'ddim',
        '--steps',
        '2',
        '--backend',
        'cpu',
      );
      expect(s.status, s.stderr).toBe(0);
      const r = JSON.parse(s.stdout);
      expect(r.step).toBe(2);
      expect(r.horizon).toBe(2);
      expect(Number.isFinite(r.model.psnr) && Number.isFinite(r.copyLastFrame.psnr)).toBe(true);
      for (const f of ['grid.png', 'sample.gif', 'sample.json']) expect(existsSync(join(dir, 's', f)), f).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags and configs with messages naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-cli-bad-'));
    try {
      const cfg = join(dir, 'bad.json');
      writeFileSync(cfg, JSON.stringify({ ...tiny, train: { stepz: 3 } }));
      expect(run('train', '--config', cfg).stderr).toMatch(
        /config file .*bad.json: invalid train config: unknown field\(s\) stepz/,
      );
      writeFileSync(cfg, JSON.stringify({ ...tiny, data: { source: 'kth' } }));
      expect(run('train', '--config', cfg).stderr).toMatch(/config file .*bad.json: data.source "kth" needs "path"/);
      writeFileSync(cfg, JSON.stringify({ ...tiny, data: { source: 'imagenet' } }));
      expect(run('train', '--config', cfg).stderr).toMatch(/data.source "imagenet" is unknown/);
      writeFileSync(cfg, '{ nope');
      expect(run('train', '--config', cfg).stderr).toMatch(/is not valid JSON/);
      expect(run('train').stderr).toMatch(/train needs --config FILE.json/);
      expect(run('train', '--config', cfg, '--steps', 'x').stderr).toMatch(/--steps must be an integer >= 0, got "x"/);
      expect(run('sample', '--checkpoint', join(dir, 'none')).stderr).toMatch(/does not exist/);
      expect(run('sample', '--checkpoint', dir, '--mode', 'dream').stderr).toMatch(
        /--mode must be predict, interpolate or generate/,
      );
      expect(run('train', '--help').stdout).toMatch(/--resume <dir>/);
      expect(run('sample', '--help').stdout).toMatch(/--trajectories <n>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('evdm main (tiny budget)', () => {
  it('trains, predicts, scores against copy-last-frame and writes GIF, PNG and summary.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'evdm-main-'));
    const r = spawnSync(
      process.execPath,
      [cli, 'main', '--out', out, '--minutes', '0.05', '--clips', '2', '--trajectories', '2', '--steps', '4'],
      {
        encoding: 'utf8',
        env: { ...process.env, EVDM_LOG: 'quiet' },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/copy last frame\s+PSNR/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.steps).toBeGreaterThanOrEqual(1);
    expect(summary.trajectories).toBe(2);
    for (const k of ['evdm_l', 'copy_last_frame']) {
      expect(summary[k].psnr).toBeGreaterThan(0);
      expect(summary[k].ssim).toBeLessThanOrEqual(1);
    }
    expect(typeof summary.beats_copy_last_frame).toBe('boolean');
    expect(existsSync(join(out, 'prediction.gif'))).toBe(true);
    expect(existsSync(join(out, 'prediction.png'))).toBe(true);
    expect(existsSync(join(summary.run, 'checkpoints'))).toBe(true);
  });
});
