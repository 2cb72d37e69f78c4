/**
 * `evdm reproduce budget` as a library call: trains MCVD, EVDM and EVDM-L one after another for the
 * same training wall-clock budget each, as ordinary `evdm train` run directories (config.json,
 * checkpoints, train.jsonl, loss.svg), and scores each at regular points of its run on one fixed
 * SM-MNIST test set (best-of-N PSNR/SSIM, copy-last-frame, FVD with I3D weights).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBackendChoice } from '@evdm/backend';
import { loadI3D, type I3DPreprocessOptions } from '@evdm/metrics';
import { initBackend } from '../../runtime/backend';
import { checkMemory, trainStepBytes } from '../../runtime/memory-budget';
import { Trainer } from '../../train/trainer';
import { TrainMonitor } from '../../train/monitor';
import { cleanCheckpointLeftovers } from '../../train/checkpoint';
import type { ClipSource } from '../../data/source';
import { makeClipSource, readJsonConfigFile, resolveRunConfig, type RunConfig } from '../../train/run-config';
import { checkNewRunDir } from '../../train/run-dir';
import { writeFileAtomic } from '../../io/atomic-write';
import { DenoisingUNet } from '../../models/unet';
import { profileNetwork } from '../../profile/profiler';
import { TABLE2 } from '../../profile/paper-numbers';
import type { ModelName } from '../../models/presets';
import { networkDenoiser } from '../../sample/network-denoiser';
import { sampleVideo } from '../../sample/predict';
import { modelLabel } from '../data-options';
import { evaluate, type EvalModel, type FvdSetup } from '../evaluate';
import {
  BUDGET_MODELS,
  budgetNetwork,
  budgetRunConfig,
  resolveBudgetOptions,
  type BudgetStudyOptions,
  type ResolvedBudgetOptions,
} from './config';
import { writeBudgetReport } from './report';
import {
  readResultsForResume,
  resultsPath,
  writeResults as writeJson,
  type BudgetModelResult,
  type BudgetPoint,
  type BudgetStudyResult,
  type JsonNumber,
} from './results';

export const FVD_ABSENT = 'absent: no --i3d DIR given (converted I3D weights, see the @evdm/metrics README)';

/** The results JSON, then the table and plots from it (both rewritten at every checkpoint and point). */
function writeResults(out: string, r: BudgetStudyResult): void {
  writeJson(out, r);
  writeBudgetReport(out, r);
}

const jsonNum = (x: number | null | undefined): JsonNumber =>
  x === null || x === undefined ? null : Number.isFinite(x) ? x : String(x);
const paperGflops = (m: ModelName) => TABLE2.find((r) => r.dataset === 'smmnist' && r.model === m)!.gflops;

/** Params and per-sample GFLOPs of the three networks at a scale (MCVD's is the ratios' unit). */
function structure(o: ResolvedBudgetOptions): Record<ModelName, { params: number; gflops: number; label: string }> {
  const out = {} as Record<ModelName, { params: number; gflops: number; label: string }>;
  for (const m of BUDGET_MODELS) {
    const net = new DenoisingUNet(budgetNetwork(m, o.scaleConfig));
    const p = profileNetwork(net, 1);
    out[m] = { params: p.params, gflops: p.flops / 1e9, label: modelLabel(net.config) };
  }
  return out;
}

/** Samples predictions with the trainer's network as it is now (live or EMA weights: the caller's choice). */
function trainerEvalModel(t: Trainer, steps: number): EvalModel {
  const cfg = t.net.config;
  return {
    layout: cfg,
    sample: ({ past, horizon, trajectories, batch, seed }) =>
      sampleVideo({
        mode: 'predict',
        denoiser: networkDenoiser(t.net, t.store.read),
        schedule: t.schedule,
        layout: cfg,
        past,
        horizon,
        trajectories,
        batch,
        seed,
        sampler: { sampler: 'ddpm', steps },
      }),
  };
}

/** Runs (or resumes) the study; returns what it wrote to `<out>/budget.json`. */
export async function runBudgetStudy(input: BudgetStudyOptions): Promise<BudgetStudyResult> {
  const o = resolveBudgetOptions(input);
  const { out, log } = o;
  const sc = o.scaleConfig;
  const rt = await initBackend({
    backend: o.backend === undefined ? undefined : parseBackendChoice(o.backend, '--backend'),
    log,
  });
  const shape = structure(o);
  const fresh: BudgetStudyResult = {
    kind: 'evdm-budget-study',
    version: 1,
    scale: o.scale,
    scale_note: sc.note,
    started: new Date().toISOString(),
    updated: '',
    minutes: o.minutes,
    eval_every: o.evalEvery,
    seed: o.seed,
    backend: `${rt.name}${rt.native.active ? ' + native oneDNN kernels' : ''}`,
    protocol: {
      dataset: 'smmnist',
      clips: o.clips,
      trajectories: o.trajectories,
      sampler: 'ddpm',
      steps: o.sampleSteps,
      weights: o.ema ? 'ema' : 'live',
      ssim_convention: 'mcvd-luma-uint8',
    },
    copy_last_frame: null,
    models: [],
    stopped: false,
  };
  let study: BudgetStudyResult;
  if (o.resume) {
    study = { ...readResultsForResume(out, fresh), minutes: o.minutes, backend: fresh.backend, stopped: false };
  } else {
    if (existsSync(resultsPath(out)))
      throw new Error(
        `${out} already holds a budget study (${resultsPath(out)}): continue it with --resume or pick another --out`,
      );
    for (const m of o.models) checkNewRunDir(join(out, m));
    mkdirSync(out, { recursive: true });
    study = fresh;
  }
  log(`budget study: ${o.models.join(', ')}; ${o.minutes} min of training each, evaluated every ${o.evalEvery} min; ${sc.note}`);
  for (const m of BUDGET_MODELS) {
    const s = shape[m];
    log(
      `  ${s.label.padEnd(7)} ${(s.params / 1e6).toFixed(3)} M params, ${s.gflops.toFixed(4)} GFLOPs/sample, ratio to MCVD ${(s.gflops / shape.mcvd.gflops).toFixed(3)} (paper Table 2: ${(paperGflops(m) / paperGflops('mcvd')).toFixed(3)})`,
    );
  }
  let fvd: FvdSetup | undefined;
  if (o.i3d !== undefined)
    fvd = { i3d: loadI3D(o.i3d), preprocess: { resize: 'mcvd' } as I3DPreprocessOptions, label: `I3D from ${o.i3d}` };
  try {
    for (const m of o.models) {
      let entry = study.models.find((e) => e.model === m);
      if (!entry) {
        const s = shape[m];
        entry = {
          model: m,
          label: s.label,
          run_dir: join(out, m),
          params: s.params,
          gflops: s.gflops,
          gflops_ratio: s.gflops / shape.mcvd.gflops,
          paper_gflops_ratio: paperGflops(m) / paperGflops('mcvd'),
          steps: 0,
          train_minutes: 0,
          checkpoints: [],
          points: [],
          done: false,
          gif: null,
          grid: null,
        };
        study.models.push(entry);
      }
      // a larger --minutes on resume continues a finished model
      if (entry.done && entry.train_minutes * 60 < o.minutes * 60) entry.done = false;
      if (entry.done) {
        log(`budget study: ${entry.label} already done (${entry.steps} steps in ${entry.train_minutes.toFixed(2)} min)`);
        continue;
      }
      const stopped = await trainModel(o, study, entry, fvd);
      if (stopped) {
        study.stopped = true;
        writeResults(out, study);
        log(`budget study: stopped during ${entry.label} at step ${entry.steps}; continue with --resume (same --out)`);
        return study;
      }
    }
  } finally {
    fvd?.i3d.dispose();
  }
  writeResults(out, study);
  return study;
}

/** Trains one model to the end of its budget, evaluating at every point; true when stopped early. */
async function trainModel(
  o: ResolvedBudgetOptions,
  study: BudgetStudyResult,
  entry: BudgetModelResult,
  fvd: FvdSetup | undefined,
): Promise<boolean> {
  const { out, log, clock } = o;
  const runDir = entry.run_dir;
  const ckptRoot = join(runDir, 'checkpoints');
  const cfgPath = join(runDir, 'config.json');
  const budgetSec = o.minutes * 60;
  const evalSec = o.evalEvery * 60;
  let run: RunConfig;
  let trainer: Trainer;
  let data: ClipSource;
  let trained = 0;
  const haveRun = existsSync(cfgPath) && existsSync(ckptRoot) && readdirSync(ckptRoot).some((n) => /^step-\d+$/.test(n));
  if (haveRun) {
    for (const name of cleanCheckpointLeftovers(ckptRoot))
      log(`budget study: removed ${join(ckptRoot, name)}, left by a crashed or killed run`);
    run = resolveRunConfig(readJsonConfigFile(cfgPath), cfgPath);
    data = makeClipSource(run.data, run.network, run.train.batchSize);
    trainer = await Trainer.resume(ckptRoot, {
      data,
      train: run.train,
      checkpointDir: ckptRoot,
      network: run.network,
      schedule: run.schedule,
      warn: (w) => log(`budget study: ${entry.label}: ${w}`),
    });
    const rec = entry.checkpoints.find((c) => c.step === trainer.step);
    if (rec) trained = rec.train_seconds;
    else {
      // written but not recorded (killed in between): credit the newest recorded time, never less
      trained = Math.max(0, ...entry.checkpoints.filter((c) => c.step < trainer.step).map((c) => c.train_seconds));
      log(
        `budget study: ${entry.label}: checkpoint step ${trainer.step} has no recorded training time; counting ${(trained / 60).toFixed(2)} min (the newest recorded)`,
      );
    }
    // points past the checkpoint belong to steps the kill lost
    entry.points = entry.points.filter((p) => p.step <= trainer.step);
    log(
      `budget study: ${entry.label}: resumed ${runDir} at step ${trainer.step}, ${(trained / 60).toFixed(2)} of ${o.minutes} min trained`,
    );
  } else {
    // a run this study started but killed before its first checkpoint starts over; anything else is refused
    if (o.resume && entry.checkpoints.length > 0)
      throw new Error(
        `--resume: ${entry.label} recorded checkpoints in ${runDir} but none is left there; start a new study (--out)`,
      );
    if (o.resume && !existsSync(cfgPath)) checkNewRunDir(runDir);
    run = resolveRunConfig(budgetRunConfig(entry.model, o.scaleConfig, o.seed), `budget study ${entry.model} run config`);
    checkMemory(trainStepBytes(run.network, run.train.batchSize), `the ${o.scale} scale's batch ${run.train.batchSize}`);
    mkdirSync(runDir, { recursive: true });
    writeFileAtomic(cfgPath, JSON.stringify(run, null, 2) + '\n', 'run config');
    data = makeClipSource(run.data, run.network, run.train.batchSize);
    trainer = new Trainer({ network: run.network, train: run.train, schedule: run.schedule, data, checkpointDir: ckptRoot });
    entry.points = [];
    entry.checkpoints = [];
    log(
      `budget study: ${entry.label}: new run ${runDir} (evdm train run directory; continue alone with evdm train --resume ${runDir})`,
    );
  }
  entry.steps = trainer.step;
  entry.train_minutes = trained / 60;
  let lossSum = 0;
  let lossN = 0;
  const point = async (final: boolean) => {
    const p = await evaluatePoint(o, study, entry, trainer, fvd, final, lossN ? lossSum / lossN : null, trained);
    lossSum = 0;
    lossN = 0;
    entry.points.push(p);
    entry.done = final;
    writeResults(out, study);
  };
  try {
    // a checkpoint whose evaluation was interrupted is scored first
    const rec = entry.checkpoints.find((c) => c.step === trainer.step);
    if (trainer.step > 0 && rec?.due && !entry.points.some((p) => p.step === trainer.step)) await point(trained >= budgetSec);
    while (trained < budgetSec) {
      const target = Math.min(budgetSec, (Math.floor(trained / evalSec + 1e-9) + 1) * evalSec);
      const t0 = clock();
      const monitor = new TrainMonitor({
        outDir: runDir,
        totalSteps: run.train.steps,
        startStep: trainer.step,
        logEvery: run.train.logEvery,
        deadline: Date.now() + (target - trained) * 1000,
        tty: false,
        write: (l) => log(`  ${entry.label} ${l}`),
      });
      let stop = false;
      try {
        await trainer.run({
          onStep: (r) => {
            monitor.onStep(r);
            lossSum += r.loss;
            lossN++;
            o.onTrainStep?.(entry.model, r.step);
          },
          shouldStop: () => {
            stop = o.shouldStop?.() === true;
            return stop || trained + (clock() - t0) / 1000 >= target;
          },
          onCheckpoint: (dir, step) => {
            const t = trained + (clock() - t0) / 1000;
            // due: written at an evaluation point (the end of a segment), not a periodic one
            entry.checkpoints = [
              ...entry.checkpoints.filter((c) => c.step !== step),
              { step, train_seconds: t, dir, due: t >= target },
            ];
            entry.steps = step;
            entry.train_minutes = entry.checkpoints[entry.checkpoints.length - 1].train_seconds / 60;
            writeResults(out, study);
          },
        });
      } finally {
        monitor.finish();
      }
      trained += (clock() - t0) / 1000;
      entry.steps = trainer.step;
      entry.train_minutes = trained / 60;
      if (stop) return true;
      await point(trained >= budgetSec);
    }
    const last = entry.points[entry.points.length - 1];
    if (!entry.done && last?.step === trainer.step) {
      last.final = true; // the budget shrank on resume: the newest point is the end
      entry.done = true;
      writeResults(out, study);
    } else if (!entry.done) await point(true);
    log(
      `budget study: ${entry.label}: ${entry.steps} steps in ${entry.train_minutes.toFixed(2)} min of training (${(entry.steps / Math.max(1e-9, entry.train_minutes * 60)).toFixed(2)} steps/s)`,
    );
    return false;
  } finally {
    trainer.dispose();
    await data.close?.();
  }
}

async function evaluatePoint(
  o: ResolvedBudgetOptions,
  study: BudgetStudyResult,
  entry: BudgetModelResult,
  trainer: Trainer,
  fvd: FvdSetup | undefined,
  final: boolean,
  loss: number | null,
  trained: number,
): Promise<BudgetPoint> {
  const predictions = final ? join(o.out, 'predictions', entry.model) : undefined;
  const run = () =>
    evaluate({
      model: trainerEvalModel(trainer, o.sampleSteps),
      data: { ...o.scaleConfig.data, prefetch: 0 } as RunConfig['data'],
      mode: 'predict',
      clips: o.clips,
      trajectories: o.trajectories,
      batch: Math.max(1, Math.min(o.scaleConfig.eval.batch, Math.floor(32 / o.trajectories))),
      seed: o.seed,
      fvd,
      out: predictions,
      onBatch: (p) => {
        if (p.batch === p.batches || p.batch % 4 === 0)
          o.log(`  ${entry.label} step ${trainer.step}: evaluated ${p.clipsDone}/${p.clips} clips (${p.seconds.toFixed(0)} s)`);
      },
    });
  let fvdNote = fvd ? (fvd.label ?? 'I3D') : FVD_ABSENT;
  let r;
  try {
    r = o.ema ? await trainer.withEmaWeights(run) : await run();
  } catch (e) {
    if (!fvd) throw e;
    // FVD needs enough frames for I3D; a failing FVD must not cost the PSNR/SSIM of the point
    fvdNote = `FVD failed: ${(e as Error).message}`;
    o.log(`  ${entry.label}: ${fvdNote}; scoring without FVD`);
    const noFvd = { ...o, i3d: undefined };
    return evaluatePoint(noFvd, study, entry, trainer, undefined, final, loss, trained).then((p) => ({
      ...p,
      fvd_note: fvdNote,
    }));
  }
  if (r.copyLastFrame && !study.copy_last_frame) {
    const c = r.copyLastFrame;
    study.copy_last_frame = {
      psnr: jsonNum(c.psnr.mean),
      psnr_ci95: jsonNum(c.psnr.ci95),
      ssim: jsonNum(c.ssim.mean),
      ssim_ci95: jsonNum(c.ssim.ci95),
    };
  }
  if (predictions) {
    entry.gif = join(predictions, 'sample.gif');
    entry.grid = join(predictions, 'grid.png');
  }
  const p: BudgetPoint = {
    step: trainer.step,
    train_minutes: trained / 60,
    checkpoint: trainer.lastCheckpoint,
    loss,
    psnr: jsonNum(r.psnr?.mean),
    psnr_ci95: jsonNum(r.psnr?.ci95),
    ssim: jsonNum(r.ssim?.mean),
    ssim_ci95: jsonNum(r.ssim?.ci95),
    fvd: jsonNum(r.fvd),
    fvd_note: fvdNote,
    eval_seconds: r.seconds,
    final,
  };
  o.log(
    `  ${entry.label} step ${p.step} (${p.train_minutes.toFixed(2)} min): PSNR ${fmt(p.psnr, 2)}  SSIM ${fmt(p.ssim, 4)}${p.fvd !== null ? `  FVD ${fmt(p.fvd, 1)}` : ''}  (copy last frame ${fmt(study.copy_last_frame?.psnr ?? null, 2)} / ${fmt(study.copy_last_frame?.ssim ?? null, 4)})`,
  );
  return p;
}

const fmt = (v: JsonNumber, d: number) => (typeof v === 'number' ? v.toFixed(d) : v === null ? '-' : v);
