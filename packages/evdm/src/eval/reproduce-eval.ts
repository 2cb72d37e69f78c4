import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '@evdm/core';
import type { BackendChoice } from '@evdm/backend';
import { writeVideoShard, type Clip as HostClip } from '@evdm/datasets';
import { I3D } from '@evdm/metrics';
import { DenoisingUNet } from '../models/unet';
import { DATASET_PRESETS, modelConfig, type DatasetName, type ModelName } from '../models/presets';
import type { NetworkConfigInput } from '../models/network-config';
import { timeTrainingSteps } from '../bench/training-step';
import { currentRuntime, initBackend } from '../runtime/backend';
import { checkpointNetworkConfig, resolveCheckpointDir, runConfigOfCheckpoint } from '../sample/load';
import { resolveDataFlags } from './data-options';
import { evaluateCheckpoint, FVD_SKIPPED_NOTE } from './evaluate-checkpoint';
import { train } from '../train/train';
import type { EvalMode, FvdSetup } from './evaluate';
import { MCVD_TRAIN_STEPS, TABLE3, TABLE4, TABLE5, TABLE6, TABLE7, TABLE9, type PaperFidelity } from '../profile/paper-numbers';

export const EVAL_TABLES = ['table3', 'table4', 'table5', 'table6', 'table7', 'table9'] as const;
export type EvalTable = (typeof EVAL_TABLES)[number];
type Ds = 'smmnist' | 'kth' | 'bair' | 'ucf101';
const MODELS: ModelName[] = ['mcvd', 'evdm-l', 'evdm'];

/** The paper's protocol of one dataset block of a fidelity table. */
export interface EvalProtocol {
  table: EvalTable;
  dataset: Ds;
  /** Network preset (frames per block, C0) the checkpoints are trained with. */
  preset: DatasetName;
  /** 'interp' models take future frames (Table 7); the others are MCVD-style pf-mask models. */
  task: 'pred' | 'interp';
  mode: EvalMode;
  past: number;
  current: number;
  future: number;
  horizon: number;
  trajectories: number;
  /** Test clips (undefined = the test set, 256). */
  clips?: number;
  rows: Array<{ model: ModelName; steps: number; paper: PaperFidelity }>;
  /** How the protocol was read from the paper, where it does not say everything. */
  note: string;
}

const byModel = (t: Record<ModelName, PaperFidelity>, steps = 100) => MODELS.map((model) => ({ model, steps, paper: t[model] }));

/** The paper's protocols (§4.4 and the table captions; docs/mcvd-reference.md §8/§10 where the paper is silent). */
export function paperProtocols(table: EvalTable): EvalProtocol[] {
  switch (table) {
    case 'table3':
      return [
        {
          table,
          dataset: 'bair',
          preset: 'bair',
          task: 'pred',
          mode: 'predict',
          past: 1,
          current: 5,
          future: 0,
          horizon: 15,
          trajectories: 100,
          rows: byModel(TABLE3),
          note: 'BAIR 64x64: 1 past frame, k = 5 frames per block, 15 predicted frames (3 blocks), best of 100, DDPM 100 steps',
        },
      ];
    case 'table4':
      return [
        {
          table,
          dataset: 'kth',
          preset: 'kth',
          task: 'pred',
          mode: 'predict',
          past: 10,
          current: 5,
          future: 0,
          horizon: 30,
          trajectories: 10,
          rows: TABLE4.map((r) => ({ model: r.model, steps: r.steps, paper: r })),
          note: "KTH 64x64: 10 past frames, 5 per block, 30 predicted (6 blocks); best of 10 (MCVD's preds_per_test; the paper does not say), DDPM 100 and 1000 steps",
        },
      ];
    case 'table5':
      return [
        {
          table,
          dataset: 'ucf101',
          preset: 'ucf101',
          task: 'pred',
          mode: 'generate',
          past: 4,
          current: 4,
          future: 0,
          horizon: 16,
          trajectories: 1,
          rows: byModel(TABLE5),
          note: 'UCF-101: unconditional generation of 16 frames (first block with all conditions masked, then roll-out), FVD against 16-frame test clips, DDPM 100 steps',
        },
      ];
    case 'table6':
      return [
        {
          table,
          dataset: 'bair',
          preset: 'bair',
          task: 'pred',
          mode: 'generate',
          past: 1,
          current: 5,
          future: 0,
          horizon: 16,
          trajectories: 1,
          rows: byModel(TABLE6),
          note: 'BAIR: unconditional generation of 16 frames, FVD against 16-frame test clips, DDPM 100 steps',
        },
      ];
    case 'table7':
      return (['smmnist', 'kth', 'bair'] as const).map((dataset) => {
        const t = TABLE7[dataset];
        return {
          table,
          dataset,
          preset: dataset,
          task: 'interp' as const,
          mode: 'interpolate' as const,
          past: t.pf / 2,
          current: t.k,
          future: t.pf / 2,
          horizon: t.k,
          trajectories: t.trajectories,
          rows: byModel(t.rows),
          note: `interpolation: p + f = ${t.pf} given frames read as ${t.pf / 2} past + ${t.pf / 2} future (the paper gives only the sum), k = ${t.k}, best of ${t.trajectories}, DDPM 100 steps`,
        };
      });
    case 'table9':
      return [];
    default:
      throw new Error(`unknown table "${String(table)}"`);
  }
}

/** The smoke version of a protocol: tiny frames, 2 clips, at most 2 trajectories, 2 (or 4) sampler steps. */
export function smokeProtocol(p: EvalProtocol): EvalProtocol {
  const past = p.mode === 'interpolate' ? 1 : Math.min(p.past, 2);
  const current = p.mode === 'interpolate' ? 2 : p.dataset === 'kth' ? 1 : 2;
  const horizon = p.mode === 'interpolate' ? 2 : 2 * current;
  return {
    ...p,
    past,
    current,
    future: p.future ? 1 : 0,
    horizon,
    trajectories: Math.min(2, p.trajectories),
    clips: 2,
    rows: p.rows.map((r) => ({ ...r, steps: r.steps >= 1000 ? 4 : 2 })),
  };
}

/** Tiny networks of every kind for smoke runs (16 px, C0 16: the smallest width EVDM-L's δ = 8 allows). */
export function smokeNetwork(model: ModelName, p: EvalProtocol): NetworkConfigInput {
  return modelConfig(model, p.preset, {
    baseChannels: 16,
    headChannels: 16,
    channelMult: [1, 2],
    numResBlocks: 1,
    imageSize: 16,
    attnResolutions: [8],
    dropout: 0,
    pastFrames: p.past,
    currentFrames: p.current,
    futureFrames: p.future,
    ...(model === 'mcvd' && p.preset === 'ucf101' ? { spade: { hiddenChannels: 16 } } : {}),
  });
}

/** The run config that trains a protocol's model at the paper's scale (docs/mcvd-reference.md §1, §7). */
export function paperTrainConfig(model: ModelName, p: EvalProtocol, dataPath?: string): Record<string, unknown> {
  const lr = p.dataset === 'smmnist' || p.dataset === 'kth' ? 2e-4 : 1e-4;
  const warmup = p.dataset === 'smmnist' ? 1000 : 5000;
  return {
    network: {
      preset: { model, dataset: p.preset },
      ...(p.task === 'interp' ? { pastFrames: p.past, currentFrames: p.current, futureFrames: p.future } : {}),
    },
    data:
      p.dataset === 'smmnist'
        ? { source: 'smmnist' }
        : { source: p.dataset, path: dataPath ?? `<converted ${p.dataset} HDF5 data: evdm-convert ${p.dataset} ...>` },
    train: {
      steps: MCVD_TRAIN_STEPS[p.dataset],
      batchSize: DATASET_PRESETS[p.preset].paperBatch,
      lr,
      warmup,
      checkpointEvery: 10000,
    },
  };
}

/** One row of `evdm reproduce table3..table7 --json`. */
export interface EvalReproductionRow {
  table: EvalTable;
  dataset: string;
  model: ModelName;
  method: string;
  mode: EvalMode;
  past: number;
  future: number;
  horizon: number;
  clips: number | null;
  trajectories: number;
  sampler: 'ddpm';
  steps: number;
  status: 'ok' | 'missing-checkpoint' | 'missing-data';
  checkpoint: string | null;
  step: number | null;
  fvd: number | string | null;
  psnr: number | string | null;
  ssim: number | string | null;
  psnr_ci95: number | string | null;
  ssim_ci95: number | string | null;
  fvd_note: string | null;
  paper_method: string;
  paper_fvd: number | null;
  paper_psnr: number | null;
  paper_ssim: number | null;
  smoke: boolean;
  seconds: number | null;
  /** What to run when status is not ok. */
  todo?: string;
}

/** One row of `evdm reproduce table9 --json`. */
export interface TimingReproductionRow {
  table: 'table9';
  dataset: string;
  model: ModelName;
  backend: string;
  params: number;
  train_batch: number;
  /** null when the step failed on this backend (see note). */
  train_step_ms: number | null;
  sample_step_ms: number | null;
  paper_batch: number;
  extrapolated_train_steps: number;
  extrapolated_train_hours: number | null;
  paper_gpu_hours: number[];
  paper_latency_ms: number[];
  smoke: boolean;
  note: string;
}

export interface ReproduceEvalOptions {
  smoke?: boolean;
  out?: string;
  /** Dataset → converted data directory. */
  dataPaths?: Partial<Record<Ds, string>>;
  /** `DIR/<dataset>-<model>` (prediction/generation) and `DIR/<dataset>-interp-<model>` (Table 7). */
  checkpoints?: string;
  /** Per-model checkpoints (tables with one dataset, or with `only`). */
  checkpoint?: Partial<Record<ModelName, string>>;
  /** Table 7: only this dataset. */
  only?: Ds;
  i3d?: string;
  /** Deviations from the protocol (labelled in the output). */
  clips?: number;
  trajectories?: number;
  batch?: number;
  seed?: number;
  backend?: BackendChoice;
  /** Table 9: dataset preset, train batch, timed runs. */
  dataset?: Ds;
  runs?: number;
  log?: (line: string) => void;
}

export const SMOKE_FVD_LABEL = 'smoke: random I3D, not a real FVD';

/** A random 1/8-width I3D at 32 px (16-d features): exercises the FVD path in smoke runs only. */
export function smokeFvd(): FvdSetup {
  return {
    i3d: I3D.random({ width: 1 / 8, numClasses: 16, logitsPool: [1, 1, 1] }, 7),
    preprocess: { size: 32, resize: 'stylegan-v' },
    label: SMOKE_FVD_LABEL,
  };
}

function movingSquares(v: number, t: number, h: number, w: number, c: number): HostClip {
  const frames = new Uint8Array(t * h * w * c).fill(20);
  const q = 16;
  for (let j = 0; j < t; j++) {
    const x0 = (5 * v + 4 * j) % (w - q);
    const y0 = (9 * v + 2 * j) % (h - q);
    for (let y = y0; y < y0 + q; y++)
      for (let x = x0; x < x0 + q; x++) for (let k = 0; k < c; k++) frames[((j * h + y) * w + x) * c + k] = 200 - 40 * k;
  }
  return { frames, t, h, w, c };
}

/** Tiny fixtures in the datasets' own HDF5 layouts (the project's shard writer), moving squares. */
export async function writeSmokeDataset(dataset: 'kth' | 'bair' | 'ucf101', dir: string, frames = 12): Promise<string> {
  mkdirSync(dir, { recursive: true });
  if (dataset === 'kth') {
    const persons = [1, 2, 21, 22];
    await writeVideoShard(
      join(dir, 'shard_0001.hdf5'),
      persons.map((p, v) => ({ clip: movingSquares(v, frames, 64, 64, 1), labels: { person: p, target: v % 6 } })),
    );
    return dir;
  }
  if (dataset === 'bair') {
    await writeVideoShard(
      join(dir, 'train', 'traj_0.hdf5'),
      [0, 1, 2].map((v) => ({ clip: movingSquares(v, frames, 64, 64, 3) })),
    );
    await writeVideoShard(
      join(dir, 'test', 'traj_0.hdf5'),
      [3, 4].map((v) => ({ clip: movingSquares(v, frames, 64, 64, 3) })),
    );
    return dir;
  }
  const path = join(dir, 'UCF101_64.hdf5');
  await writeVideoShard(
    path,
    Array.from({ length: 23 }, (_, v) => ({ clip: movingSquares(v, frames, 64, 85, 3), labels: { target: v % 101 } })),
    { num_train: 3, num_test: 20 },
  );
  return path;
}

const checkpointName = (p: EvalProtocol, model: ModelName) =>
  p.task === 'interp' ? `${p.dataset}-interp-${model}` : `${p.dataset}-${model}`;

/**
 * Runs the paper's protocol of a fidelity table (3-7) on given checkpoints, or end to end at tiny
 * scale with `smoke` (trains tiny networks of every kind for 2 steps on SM-MNIST or on HDF5
 * fixtures, FVD with a random I3D). Missing checkpoints/data give rows with a `todo` instead of
 * silently training at the paper's scale.
 */
export async function reproduceEvalTable(table: EvalTable, o: ReproduceEvalOptions = {}): Promise<EvalReproductionRow[]> {
  if (table === 'table9') throw new Error('table9 is a timing table: use reproduceTimingTable');
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const sink = () => {};
  const out = o.out ?? join('out', `reproduce-${table}${o.smoke ? '-smoke' : ''}`);
  let protocols = paperProtocols(table);
  if (o.only) {
    protocols = protocols.filter((p) => p.dataset === o.only);
    if (protocols.length === 0)
      throw new Error(
        `--only ${o.only}: ${table} has no ${o.only} block (it has ${paperProtocols(table)
          .map((p) => p.dataset)
          .join(', ')})`,
      );
  }
  if (o.checkpoint && Object.keys(o.checkpoint).length && protocols.length > 1) {
    throw new Error(
      `--checkpoint-<model> is ambiguous for ${table} (datasets ${protocols.map((p) => p.dataset).join(', ')}): use --checkpoints DIR (DIR/<dataset>-interp-<model>) or --only DATASET`,
    );
  }
  if (o.smoke) protocols = protocols.map(smokeProtocol);
  await initBackend({ backend: o.backend, log });
  const fvdSmoke = o.smoke ? smokeFvd() : undefined;
  const rows: EvalReproductionRow[] = [];
  try {
    for (const p of protocols) {
      // data
      let dataPath = o.dataPaths?.[p.dataset];
      let smokeData: Record<string, unknown> | null = null;
      if (o.smoke) {
        if (p.dataset !== 'smmnist') dataPath = await writeSmokeDataset(p.dataset, join(out, 'data', p.dataset));
        smokeData =
          p.dataset === 'smmnist'
            ? { source: 'smmnist', imageSize: 16, prefetch: 0 }
            : { source: p.dataset, path: dataPath, imageSize: 16, prefetch: 0 };
        log(
          `${table} smoke: ${p.dataset} ${p.dataset === 'smmnist' ? '(generated, no download)' : `fixtures (HDF5, moving squares) in ${dataPath}`}, frames pooled to 16 px`,
        );
      }
      const missingData = p.dataset !== 'smmnist' && !dataPath;
      const trained = new Map<ModelName, string>();
      for (const r of p.rows) {
        const base: Omit<
          EvalReproductionRow,
          | 'status'
          | 'checkpoint'
          | 'step'
          | 'fvd'
          | 'psnr'
          | 'ssim'
          | 'psnr_ci95'
          | 'ssim_ci95'
          | 'fvd_note'
          | 'seconds'
          | 'clips'
          | 'trajectories'
        > = {
          table,
          dataset: p.dataset,
          model: r.model,
          method: `${r.paper.method.replace(/ \(Ours\)$/, '')}${table === 'table4' ? '' : ''}`,
          mode: p.mode,
          past: p.past,
          future: p.future,
          horizon: p.horizon,
          sampler: 'ddpm',
          steps: r.steps,
          paper_method: r.paper.method,
          paper_fvd: r.paper.fvd ?? null,
          paper_psnr: r.paper.psnr ?? null,
          paper_ssim: r.paper.ssim ?? null,
          smoke: Boolean(o.smoke),
        };
        const empty = {
          checkpoint: null,
          step: null,
          fvd: null,
          psnr: null,
          ssim: null,
          psnr_ci95: null,
          ssim_ci95: null,
          fvd_note: null,
          seconds: null,
          clips: o.clips ?? p.clips ?? null,
          trajectories: o.trajectories ?? p.trajectories,
        };
        // checkpoint
        let ckpt: string | undefined =
          o.checkpoint?.[r.model] ?? (o.checkpoints ? join(o.checkpoints, checkpointName(p, r.model)) : undefined);
        if (o.smoke && !trained.has(r.model)) {
          const runDir = join(out, 'runs', checkpointName(p, r.model));
          if (!existsSync(join(runDir, 'checkpoints', 'latest.json'))) {
            const config = {
              network: smokeNetwork(r.model, p),
              data: smokeData,
              train: {
                steps: 2,
                batchSize: 2,
                warmup: 0,
                checkpointEvery: 0,
                logEvery: 1,
                maskProbPast: p.mode === 'generate' ? 0.5 : 0,
                maskProbFuture: 0,
              },
            };
            log(`${table} smoke: training a tiny ${r.model} (${p.dataset}, 16 px, C0 16) for 2 steps (no warm-up)`);
            const t = await train({ config, out: runDir, backend: o.backend, log: sink });
            if (t.stoppedBy) throw new Error(`${table} smoke: training stopped by ${t.stoppedBy}`);
          }
          trained.set(r.model, runDir);
        }
        if (o.smoke) ckpt = trained.get(r.model);
        if (!ckpt || !existsSync(ckpt)) {
          const cfgDir = join(out, 'train-configs');
          mkdirSync(cfgDir, { recursive: true });
          const cfgPath = join(cfgDir, `${checkpointName(p, r.model)}.json`);
          writeFileSync(cfgPath, JSON.stringify(paperTrainConfig(r.model, p, dataPath), null, 2) + '\n');
          const dataTodo = missingData
            ? ` (first convert the data: evdm-convert ${p.dataset} ..., set data.path in that file, and pass --data-path ${p.dataset}=DIR here)`
            : '';
          const todo = `evdm train --config ${cfgPath} --out runs/${checkpointName(p, r.model)}   # then: --checkpoints runs${dataTodo}`;
          rows.push({ ...base, ...empty, status: 'missing-checkpoint', todo });
          continue;
        }
        if (missingData) {
          rows.push({
            ...base,
            ...empty,
            status: 'missing-data',
            todo: `--data-path ${p.dataset}=DIR (converted with evdm-convert ${p.dataset}; see the @evdm/datasets README)`,
          });
          continue;
        }
        // the checkpoint must have the protocol's frame layout
        const dir = resolveCheckpointDir(ckpt, `checkpoint of ${r.model}`);
        const c = checkpointNetworkConfig(dir);
        const pastNeeded = p.mode === 'generate' ? c.pastFrames : p.past;
        if (
          c.pastFrames !== pastNeeded ||
          (p.mode !== 'generate' && c.currentFrames !== p.current) ||
          c.futureFrames !== p.future
        ) {
          throw new Error(
            `${dir}: its ${r.model} network takes ${c.pastFrames} past / ${c.currentFrames} current / ${c.futureFrames} future frames; ${table} (${p.dataset}) needs ${p.past} / ${p.current} / ${p.future}`,
          );
        }
        log(`${table}: ${p.dataset} ${r.model} (${r.steps} steps)${o.smoke ? ' [smoke]' : ''}`);
        const ev = await evaluateCheckpoint({
          checkpoint: dir,
          // the protocol's dataset, with the frame size and SM-MNIST geometry the checkpoint was trained with
          data:
            resolveDataFlags(
              { dataset: p.dataset, dataPath: p.dataset === 'smmnist' ? undefined : dataPath },
              runConfigOfCheckpoint(dir)?.config.data ?? null,
            ) ?? undefined,
          mode: p.mode,
          horizon: p.mode === 'interpolate' ? undefined : p.horizon,
          clips: o.clips ?? p.clips,
          trajectories: o.trajectories ?? p.trajectories,
          sampler: { sampler: 'ddpm', steps: r.steps, eta: 0 },
          batch: o.batch ?? (o.smoke ? 2 : undefined),
          seed: o.seed ?? 0,
          ema: !o.smoke,
          fvd: fvdSmoke ?? o.i3d,
          out: join(out, 'eval', `${checkpointName(p, r.model)}-${r.steps}`),
          backend: o.backend,
          log: (l) => (/batch \d+\//.test(l) ? log(`  ${l}`) : undefined),
        });
        const j = ev.report;
        rows.push({
          ...base,
          status: 'ok',
          checkpoint: dir,
          step: j.step as number,
          clips: ev.result.clips,
          trajectories: ev.result.trajectories,
          fvd: j.fvd,
          psnr: j.psnr,
          ssim: j.ssim,
          psnr_ci95: j.psnr_ci95,
          ssim_ci95: j.ssim_ci95,
          fvd_note: ev.result.fvd === null ? FVD_SKIPPED_NOTE : j.fvd_note,
          seconds: ev.result.seconds,
        });
      }
    }
  } finally {
    fvdSmoke?.i3d.dispose();
  }
  return rows;
}

/**
 * Table 9 on the active backend: per model, the median time of a full training step (forward +
 * backward + Adam + EMA) at `batch` and of one sampling step (one denoiser call at batch 1), with
 * the training time extrapolated linearly to the paper's batch and MCVD's step count. These are
 * measured milliseconds on this machine, not A40 GPU-hours.
 */
export async function reproduceTimingTable(o: ReproduceEvalOptions = {}): Promise<TimingReproductionRow[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dataset: Ds = o.dataset ?? 'kth';
  const batch = o.batch ?? (o.smoke ? 1 : 2);
  const runs = o.runs ?? (o.smoke ? 1 : 3);
  await initBackend({ backend: o.backend, log });
  const backend = currentRuntime()?.name ?? tf.getBackend();
  const fake: EvalProtocol = {
    ...paperProtocols('table3')[0],
    preset: dataset,
    dataset,
    past: DATASET_PRESETS[dataset].pastFrames,
    current: DATASET_PRESETS[dataset].currentFrames,
  };
  const rows: TimingReproductionRow[] = [];
  // smallest first: a backend failure (wasm heap) of a big network can leave the backend unusable
  for (const model of ['evdm-l', 'evdm', 'mcvd'] as const) {
    const overrides = o.smoke ? (({ arch: _a, ...rest }) => rest)(smokeNetwork(model, fake)) : undefined;
    log(
      `table9: ${model} ${dataset}${o.smoke ? ' (tiny smoke network)' : ''}: ${runs} timed training step(s) at batch ${batch}, then sampling steps at batch 1`,
    );
    const net = new DenoisingUNet(modelConfig(model, dataset, overrides));
    const cfg = net.config;
    const times: number[] = [];
    let t: Awaited<ReturnType<typeof timeTrainingSteps>>;
    try {
      t = await timeTrainingSteps({ model, dataset, batch, runs, backend, overrides });
      const store = new ParamStore(net.paramSpecs(), 0);
      try {
        const x = tf.randomNormal([1, cfg.imageSize, cfg.imageSize, cfg.currentFrames * cfg.imageChannels]) as tf.Tensor4D;
        const condCh = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
        const cond = condCh > 0 ? (tf.randomNormal([1, cfg.imageSize, cfg.imageSize, condCh]) as tf.Tensor4D) : null;
        for (let i = 0; i <= runs; i++) {
          const t0 = performance.now();
          const y = net.apply(store.read, x, [500], cond, { training: false });
          await y.data();
          y.dispose();
          if (i > 0) times.push(performance.now() - t0); // the first call is the warm-up
        }
        tf.dispose([x, ...(cond ? [cond] : [])]);
      } finally {
        store.dispose();
      }
    } catch (e) {
      const msg = (e as Error).message;
      log(`table9: ${model} ${dataset} failed on ${backend}: ${msg}`);
      rows.push({
        table: 'table9',
        dataset,
        model,
        backend,
        params: net.paramCount(),
        train_batch: batch,
        train_step_ms: null,
        sample_step_ms: null,
        paper_batch: DATASET_PRESETS[dataset].paperBatch,
        extrapolated_train_steps: MCVD_TRAIN_STEPS[dataset],
        extrapolated_train_hours: null,
        paper_gpu_hours: TABLE9[model].map((r) => r.gpuHours),
        paper_latency_ms: TABLE9[model].map((r) => r.latencyMs),
        smoke: Boolean(o.smoke),
        note: `failed on the ${backend} backend: ${msg} (try another --backend, a smaller --batch, or --dataset smmnist)`,
      });
      continue;
    }
    times.sort((a, b) => a - b);
    const sampleMs = times[times.length >> 1];
    const paperBatch = DATASET_PRESETS[dataset].paperBatch;
    const steps = MCVD_TRAIN_STEPS[dataset];
    rows.push({
      table: 'table9',
      dataset,
      model,
      backend,
      params: net.paramCount(),
      train_batch: batch,
      train_step_ms: t.median_ms,
      sample_step_ms: sampleMs,
      paper_batch: paperBatch,
      extrapolated_train_steps: steps,
      extrapolated_train_hours: (t.median_ms * (paperBatch / batch) * steps) / 3.6e6,
      paper_gpu_hours: TABLE9[model].map((r) => r.gpuHours),
      paper_latency_ms: TABLE9[model].map((r) => r.latencyMs),
      smoke: Boolean(o.smoke),
      note: `measured on the ${backend} backend of this machine (not A40 GPU-hours); hours = step ms x ${paperBatch}/${batch} (linear in batch) x ${steps} steps (MCVD's ${dataset} checkpoint)${o.smoke ? "; smoke: tiny network, not the paper's" : ''}`,
    });
  }
  const order: ModelName[] = ['mcvd', 'evdm', 'evdm-l'];
  return rows.sort((a, b) => order.indexOf(a.model) - order.indexOf(b.model));
}

const cell = (v: number | string | null | undefined, d: number) =>
  v === null || v === undefined ? '-' : typeof v === 'number' ? v.toFixed(d) : v;

/** The human table of a fidelity reproduction: ours beside the paper. */
export function formatEvalReproduction(rows: EvalReproductionRow[]): string {
  const header = ['dataset', 'method', 'steps', 'N', 'clips', 'FVD', 'paper', 'PSNR', 'paper', 'SSIM', 'paper', 'status'];
  const ci = (v: number | string | null, c: number | string | null, d: number) =>
    v === null ? '-' : `${cell(v, d)}${typeof c === 'number' && Number.isFinite(c) ? ` ± ${c.toFixed(d)}` : ''}`;
  const body = rows.map((r) => [
    r.dataset,
    r.method,
    String(r.steps),
    String(r.trajectories),
    r.clips === null ? '-' : String(r.clips),
    r.status !== 'ok' ? '-' : r.fvd === null ? 'skipped' : cell(r.fvd, 2),
    cell(r.paper_fvd, 1),
    ci(r.psnr, r.psnr_ci95, 2),
    cell(r.paper_psnr, 3),
    ci(r.ssim, r.ssim_ci95, 4),
    cell(r.paper_ssim, 3),
    r.status,
  ]);
  const w = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 || i === 11 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

export function formatTimingReproduction(rows: TimingReproductionRow[]): string {
  const header = [
    'dataset',
    'model',
    'backend',
    'params (M)',
    'train ms/step',
    'batch',
    'extrapolated h',
    'paper GPU h',
    'sample ms/step',
    'paper ms',
  ];
  const body = rows.map((r) => [
    r.dataset,
    r.model,
    r.backend,
    (r.params / 1e6).toFixed(3),
    r.train_step_ms === null ? 'failed' : r.train_step_ms.toFixed(1),
    String(r.train_batch),
    r.extrapolated_train_hours === null ? '-' : r.extrapolated_train_hours.toFixed(1),
    r.paper_gpu_hours.join(' / '),
    r.sample_step_ms === null ? 'failed' : r.sample_step_ms.toFixed(1),
    r.paper_latency_ms.join(' / '),
  ]);
  const w = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 3 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}
