// evdm reproduce budget: the whole path at smoke scale with an injected clock (budget, eval points,
// files), resume after an interruption, and bad flags (library and built CLI).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runBudgetStudy } from '../src/eval/budget/study';
import { initBackend } from '../src/runtime/backend';
import { budgetRunConfig, budgetScale, resolveBudgetOptions, parseModelList } from '../src/eval/budget/config';
import { makeClipSource, resolveRunConfig } from '../src/train/run-config';
import { Trainer } from '../src/train/trainer';
import { budgetRows, type BudgetStudyResult } from '../src/eval/budget/results';
import type { ModelName } from '../src/models/presets';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const STEP_MS = 7000;

/** A clock that moves only when a training step ends: STEP_MS per step, nothing for evaluation. */
function fakeClock() {
  let t = 0;
  return { now: () => t, step: () => void (t += STEP_MS) };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'evdm-budget-'));

describe('budget study (library, smoke scale, injected clock)', () => {
  beforeAll(() => initBackend({ backend: 'cpu', log: () => {} }));

  it('trains every model for its budget, evaluates at each point and writes JSON, table, plots and GIFs', async () => {
    const out = tmp();
    try {
      const clock = fakeClock();
      const before = tf.memory().numTensors;
      const r = await runBudgetStudy({
        out,
        scale: 'smoke',
        minutes: 1,
        evalEvery: 0.5,
        backend: 'cpu',
        log: () => {},
        clock: clock.now,
        onTrainStep: clock.step,
      });
      expect(r.models.map((m) => m.model)).toEqual(['mcvd', 'evdm', 'evdm-l']);
      for (const m of r.models) {
        // 60 s budget at 7 s per step: the point at 30 s comes after step 5 (35 s), the end after step 9 (63 s)
        expect(m.steps).toBe(9);
        expect(m.train_minutes * 60).toBeGreaterThanOrEqual(60);
        expect(m.train_minutes * 60).toBeLessThan(60 + STEP_MS / 1000);
        expect(m.points.map((p) => p.step)).toEqual([5, 9]);
        expect(m.points.map((p) => p.final)).toEqual([false, true]);
        expect(m.points[0].train_minutes * 60).toBeCloseTo(35, 6);
        expect(m.done).toBe(true);
        for (const p of m.points) {
          expect(typeof p.psnr === 'number' && Number.isFinite(p.psnr)).toBe(true);
          expect(p.ssim as number).toBeLessThanOrEqual(1);
          expect(p.fvd).toBeNull();
          expect(p.fvd_note).toMatch(/^absent/);
          expect(p.checkpoint).toBe(join(m.run_dir, 'checkpoints', `step-${p.step}`));
          expect(existsSync(join(p.checkpoint!, 'meta.json'))).toBe(true);
        }
        // an ordinary evdm train run directory
        for (const f of ['config.json', 'train.jsonl', 'loss.svg', 'checkpoints/latest.json'])
          expect(existsSync(join(m.run_dir, f)), f).toBe(true);
        expect(JSON.parse(readFileSync(join(m.run_dir, 'config.json'), 'utf8')).network.baseChannels).toBe(16);
        expect(readFileSync(m.gif!).subarray(0, 6).toString('latin1')).toBe('GIF89a');
        expect(existsSync(m.grid!)).toBe(true);
      }
      // same width and depth, fewer GFLOPs for the EVDM networks
      const [mcvd, evdm, evdmL] = r.models;
      expect(mcvd.gflops_ratio).toBe(1);
      expect(evdm.gflops).toBeLessThan(mcvd.gflops);
      expect(evdmL.gflops).toBeLessThan(evdm.gflops);
      expect(evdmL.paper_gflops_ratio).toBeCloseTo(60.64 / 631.91, 6);
      expect(typeof r.copy_last_frame?.psnr).toBe('number');
      const saved = JSON.parse(readFileSync(join(out, 'budget.json'), 'utf8')) as BudgetStudyResult;
      expect(saved.models.map((m) => m.points.length)).toEqual([2, 2, 2]);
      expect(saved.scale).toBe('smoke');
      const md = readFileSync(join(out, 'budget.md'), 'utf8');
      for (const s of ['MCVD', 'EVDM', 'EVDM-L', 'copy last frame', 'paper Table 2 ratio', '| MCVD (end) | 9 |'])
        expect(md).toContain(s);
      for (const f of ['psnr-vs-minutes', 'ssim-vs-minutes', 'psnr-vs-steps', 'ssim-vs-steps']) {
        const svg = readFileSync(join(out, `${f}.svg`), 'utf8');
        const names = [...svg.matchAll(/class="series" data-name="([^"]+)"/g)].map((x) => x[1]);
        expect(names, f).toEqual(['MCVD', 'EVDM', 'EVDM-L', 'copy last frame']);
      }
      const rows = budgetRows(r);
      expect(rows.map((x) => [x.model, x.step])).toEqual([
        ['mcvd', 5],
        ['mcvd', 9],
        ['evdm', 5],
        ['evdm', 9],
        ['evdm-l', 5],
        ['evdm-l', 9],
      ]);
      // the study's own tensors (test clips, samples, metrics) are freed: what stays is only what
      // the three Trainers leave behind by themselves (network caches), measured here alone
      const left = tf.memory().numTensors - before;
      const n0 = tf.memory().numTensors;
      for (const m of ['mcvd', 'evdm', 'evdm-l'] as const) {
        const run = resolveRunConfig(budgetRunConfig(m, budgetScale('smoke'), 0));
        const data = makeClipSource(run.data, run.network, run.train.batchSize);
        const t = new Trainer({ network: run.network, train: run.train, schedule: run.schedule, data });
        for (let k = 0; k < 3; k++) await t.trainStep();
        t.dispose();
        await data.close?.();
      }
      expect(left).toBeLessThanOrEqual(tf.memory().numTensors - n0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('resumes an interrupted study where it stopped and refuses changed settings', async () => {
    const out = tmp();
    try {
      const clock = fakeClock();
      let steps = 0;
      const opts = {
        out,
        scale: 'smoke' as const,
        models: ['evdm-l'] as ModelName[],
        minutes: 1,
        evalEvery: 0.5,
        backend: 'cpu',
        log: () => {},
        clock: clock.now,
      };
      const first = await runBudgetStudy({ ...opts, onTrainStep: () => (clock.step(), steps++), shouldStop: () => steps >= 3 });
      expect(first.stopped).toBe(true);
      expect(first.models[0].steps).toBe(3);
      expect(first.models[0].points).toEqual([]);
      expect(first.models[0].checkpoints.map((c) => [c.step, c.train_seconds])).toEqual([[3, 21]]);
      await expect(runBudgetStudy({ ...opts })).rejects.toThrow(/already holds a budget study/);
      await expect(runBudgetStudy({ ...opts, resume: true, seed: 1 })).rejects.toThrow(/--seed differs/);
      const done = await runBudgetStudy({ ...opts, resume: true, onTrainStep: clock.step });
      const m = done.models[0];
      expect(done.stopped).toBe(false);
      // the same schedule as an uninterrupted run: 21 s recorded, then steps 4..9
      expect(m.points.map((p) => p.step)).toEqual([5, 9]);
      expect(m.train_minutes * 60).toBe(63);
      expect(m.done).toBe(true);
      const log = readFileSync(join(out, 'evdm-l', 'train.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).step);
      expect(log).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // a finished study resumes to a no-op
      const again = await runBudgetStudy({
        ...opts,
        resume: true,
        onTrainStep: () => {
          throw new Error('no training expected');
        },
      });
      expect(again.models[0].points.length).toBe(2);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('rejects bad options with errors that name them', () => {
    const bad = (o: object, re: RegExp) => expect(() => resolveBudgetOptions({ out: 'x', ...o })).toThrow(re);
    bad({ models: ['mcvd', 'sora'] }, /--models: unknown model "sora"/);
    bad({ models: [] }, /at least one/);
    bad({ minutes: 0 }, /--minutes must be a positive/);
    bad({ minutes: -5 }, /--minutes must be a positive/);
    bad({ minutes: 10, evalEvery: 11 }, /--eval-every 11 is longer than the budget --minutes 10/);
    bad({ evalEvery: -1 }, /--eval-every must be a positive/);
    expect(() => parseModelList('mcvd,evdm-xl')).toThrow(/unknown model "evdm-xl"/);
    expect(resolveBudgetOptions({ out: 'x', minutes: 1 }).evalEvery).toBe(1);
    expect(resolveBudgetOptions({ out: 'x', scale: 'paper' }).scaleConfig.eval).toMatchObject({ clips: 256, trajectories: 10 });
  });
});

describe('evdm reproduce budget (built CLI)', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, 'reproduce', 'budget', ...args], {
      encoding: 'utf8',
      env: { ...process.env, EVDM_LOG: 'quiet' },
    });

  it('bad flags exit non-zero with a clear message and write nothing', () => {
    const out = join(tmp(), 'never');
    try {
      for (const [args, re] of [
        [['--models', 'mcvd,gpt'], /unknown model "gpt"/],
        [['--minutes', '0'], /--minutes must be a positive/],
        [['--minutes', '-3'], /--minutes must be a positive/],
        [['--minutes', '1', '--eval-every', '2'], /--eval-every 2 is longer than the budget --minutes 1/],
        [['--smoke', '--paper-scale'], /not both/],
      ] as Array<[string[], RegExp]>) {
        const r = run([...args, '--out', out]);
        expect(r.status, args.join(' ')).not.toBe(0);
        expect(r.stderr).toMatch(re);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });

  it('--smoke --json: the whole path, one object per model and evaluated checkpoint', () => {
    const out = tmp();
    try {
      const r = run(['--smoke', '--json', '--out', out, '--backend', 'cpu']);
      expect(r.status, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      expect(new Set(rows.map((x) => x.model))).toEqual(new Set(['mcvd', 'evdm', 'evdm-l']));
      for (const x of rows) {
        expect(x).toMatchObject({ scale: 'smoke', fvd: null });
        expect(typeof x.step === 'number' && typeof x.psnr === 'number' && typeof x.copy_last_psnr === 'number').toBe(true);
      }
      for (const m of ['mcvd', 'evdm', 'evdm-l']) expect(rows.filter((x) => x.model === m).some((x) => x.final)).toBe(true);
      for (const f of ['budget.json', 'budget.md', 'psnr-vs-minutes.svg', 'predictions/evdm-l/sample.gif'])
        expect(existsSync(join(out, f)), f).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
