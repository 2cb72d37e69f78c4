import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ParamStore, Rng, type RngState } from '@evdm/core';
import { Ema, NoiseSchedule, maskedConditioningLoss, type ScheduleConfigInput } from '@evdm/diffusion';
import { DenoisingUNet } from '../models/unet';
import type { NetworkConfig, NetworkConfigInput } from '../models/network-config';
import type { Clip, ClipSource } from '../data/source';
import { Adam } from './adam';
import { writeCheckpoint } from './checkpoint';
import { WEIGHT_BOUND, disposeCheckpoint, findCheckpoint, readCheckpoint, type LoadedCheckpoint } from './checkpoint-read';
import { describeConfigDifference } from './run-check';
import { resolveTrainConfig, type TrainConfig } from './train-config';

/** What one optimiser update reports. */
export interface StepResult {
  /** Completed updates after this one (1-based). */
  step: number;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate this update used. */
  lr: number;
}

export interface TrainerOptions {
  network: NetworkConfigInput | NetworkConfig;
  train?: Partial<TrainConfig>;
  /** Noise schedule (default: linear β 1e-4…0.02, T = 1000, as MCVD). */
  schedule?: ScheduleConfigInput;
  data: ClipSource;
  /** Checkpoint root directory (`<outDir>/checkpoints`); omitted = no checkpoints. */
  checkpointDir?: string;
}

export interface RunHooks {
  /** After every update. */
  onStep?: (r: StepResult, trainer: Trainer) => void | Promise<void>;
  /** Every `sampleEvery` updates (EMA weights are NOT applied; use `trainer.withEmaWeights`). */
  onSample?: (step: number, trainer: Trainer) => void | Promise<void>;
  /** After every checkpoint write, with its directory. */
  onCheckpoint?: (dir: string, step: number) => void;
  /** Checked after every update: true ends the run early (time budget, Ctrl-C) with a checkpoint. */
  shouldStop?: () => boolean;
}

/** Thrown when the loss or the gradient turns NaN/Inf; the weights are left at the last good step. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly lastCheckpoint: string | null,
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** A resume asked for fewer total steps than its checkpoint already has. */
export class StepsBelowCheckpointError extends Error {
  constructor(
    readonly steps: number,
    readonly checkpointStep: number,
    readonly dir: string,
  ) {
    super(`steps ${steps} is below step ${checkpointStep} of checkpoint ${dir}: give a total of at least ${checkpointStep}`);
    this.name = 'StepsBelowCheckpointError';
  }
}

interface TrainerState {
  network: NetworkConfig;
  train: TrainConfig;
  schedule: unknown;
  rng: RngState & { spare: number | null };
  data: unknown;
  emaUpdates: number;
  adamStep: number;
  dataResumable: boolean;
}

/**
 * Trains a `DenoisingUNet` with the masked conditioning loss: one step draws a batch, evaluates
 * L_unify and its gradient (`tf.variableGrads`), applies Adam (warm-up, clipping) and updates the
 * EMA. All randomness comes from one seeded `Rng` (plus the data source's own), and both are in the
 * checkpoint, so an interrupted and resumed run ends bit-identical to an uninterrupted one.
 */
export class Trainer {
  readonly net: DenoisingUNet;
  readonly store: ParamStore;
  readonly adam: Adam;
  readonly ema: Ema;
  readonly schedule: NoiseSchedule;
  readonly rng: Rng;
  readonly config: TrainConfig;
  readonly checkpointDir: string | null;
  private readonly data: ClipSource;
  private readonly trainable: tf.Variable[];
  private readonly trainableNames: string[];
  private lastCheckpointDir: string | null = null;

  constructor(opts: TrainerOptions) {
    if (!opts || typeof opts !== 'object') throw new Error('Trainer: options object required');
    if (!opts.data || typeof opts.data.next !== 'function') throw new Error('Trainer: data must be a ClipSource with next()');
    this.config = resolveTrainConfig(opts.train ?? {});
    this.net = new DenoisingUNet(opts.network);
    this.schedule = new NoiseSchedule(opts.schedule ?? {});
    this.data = opts.data;
    this.checkpointDir = opts.checkpointDir ?? null;
    const seed = this.config.seed;
    this.store = new ParamStore(this.net.paramSpecs(), new Rng(seed, 1));
    this.rng = new Rng(seed, 2);
    const specs = this.store.specs.filter((s) => s.trainable ?? true);
    this.trainableNames = specs.map((s) => s.name);
    this.trainable = this.trainableNames.map((n) => this.store.read(n) as tf.Variable);
    const c = this.config;
    this.adam = new Adam(this.trainable, { lr: c.lr, warmup: c.warmup, gradClip: c.gradClip });
    this.ema = new Ema(Object.fromEntries(this.trainableNames.map((n, i) => [n, this.trainable[i]])), { rate: c.emaRate });
  }

  /** Completed optimiser updates. */
  get step(): number {
    return this.adam.step;
  }

  /** The network config after defaults. */
  get networkConfig(): NetworkConfig {
    return this.net.config;
  }

  /** The newest checkpoint this trainer wrote or resumed from. */
  get lastCheckpoint(): string | null {
    return this.lastCheckpointDir;
  }

  private checkClip(clip: Clip): void {
    const cfg = this.net.config;
    const frames = (name: string, x: tf.Tensor | undefined, want: number) => {
      if (want === 0) {
        if (x !== undefined)
          throw new Error(`data: the network takes no ${name} frames but the batch has ${name} of shape [${x.shape}]`);
        return;
      }
      if (!(x instanceof tf.Tensor))
        throw new Error(`data: the network needs ${want} ${name} frame(s) but the batch has no "${name}" tensor`);
      const sh = x.shape as number[];
      const [h, w, ch] = x.rank === 5 ? [sh[2], sh[3], sh[1] * sh[4]] : x.rank === 4 ? [sh[1], sh[2], sh[3]] : [0, 0, 0];
      if (h !== cfg.imageSize || w !== cfg.imageSize || ch !== want * cfg.imageChannels) {
        throw new Error(
          `data: "${name}" has shape [${x.shape}], expected [B, ${want}, ${cfg.imageSize}, ${cfg.imageSize}, ${cfg.imageChannels}] (or stacked [B, H, W, ${want * cfg.imageChannels}])`,
        );
      }
    };
    frames('current', clip.current, cfg.currentFrames);
    frames('past', clip.past, cfg.pastFrames);
    frames('future', clip.future, cfg.futureFrames);
  }

  /** One optimiser update on the next batch of the data source. */
  async trainStep(): Promise<StepResult> {
    const clip = await this.data.next();
    try {
      this.checkClip(clip);
      const c = this.config;
      const step = this.adam.step;
      const seed = this.rng.int(0, 999_999);
      const { value, grads } = tf.variableGrads(() => {
        const { loss } = maskedConditioningLoss({
          schedule: this.schedule,
          denoiser: (xt, t, cond) =>
            this.net.apply(this.store.read, xt, t, cond ?? null, {
              training: true,
              seed,
              step,
              rematerialize: this.config.rematerialize,
            }),
          past: clip.past,
          current: clip.current,
          future: clip.future,
          rng: this.rng,
          maskProbPast: c.maskProbPast,
          maskProbFuture: c.maskProbFuture,
          syncMask: c.syncMask && clip.past !== undefined && clip.future !== undefined,
          reduction: c.reduction,
        });
        return loss;
      }, this.trainable);
      const loss = (await value.data())[0];
      const gradList = this.trainable.map((v) => grads[v.name]);
      try {
        if (!Number.isFinite(loss)) this.diverged(`loss is ${loss}`, step);
        // Check before Adam touches the weights: a NaN norm would slip past its clipping.
        const gradNorm = this.adam.globalNorm(gradList);
        if (!Number.isFinite(gradNorm)) this.diverged(`gradient norm is ${gradNorm}`, step);
        const lr = this.adam.learningRate();
        this.adam.apply(gradList, gradNorm);
        this.ema.update();
        return { step: this.adam.step, loss, gradNorm, lr };
      } finally {
        tf.dispose([value, ...Object.values(grads)]);
      }
    } finally {
      tf.dispose([clip.past, clip.current, clip.future].filter((x) => x !== undefined) as tf.Tensor[]);
    }
  }

  private diverged(what: string, step: number): never {
    const c = this.config;
    const where = this.lastCheckpointDir
      ? `the last good checkpoint (finite weights, |w| <= ${WEIGHT_BOUND.toExponential(0)}) is ${this.lastCheckpointDir}`
      : 'no checkpoint was written yet';
    const advice = `lower train.lr (now ${c.lr}, e.g. ${c.lr / 10}) or lengthen train.warmup (now ${c.warmup}, e.g. ${Math.max(100, c.warmup * 4)}), or keep train.gradClip (now ${c.gradClip}) at 1`;
    throw new TrainingDivergedError(
      `training diverged at step ${step + 1}: ${what}; stopped, ${where}; to go on, ${advice} and resume`,
      step,
      this.lastCheckpointDir,
    );
  }

  /** Largest |w| over the trainable weights (NaN when one is NaN): a checkpoint must be finite and bounded. */
  weightMaxAbs(): number {
    return tf.tidy(() => {
      const m = tf.max(tf.stack(this.trainable.map((v) => tf.max(tf.abs(v))))).dataSync()[0];
      const nan = tf.any(tf.stack(this.trainable.map((v) => tf.any(tf.isNaN(v))))).dataSync()[0];
      return nan ? NaN : m;
    });
  }

  /**
   * Trains until `config.steps` updates are done (counting steps restored from a checkpoint) or
   * `shouldStop` says so, writing checkpoints every `checkpointEvery` steps and at the end when a
   * checkpoint directory is set.
   */
  async run(hooks: RunHooks = {}): Promise<StepResult[]> {
    const c = this.config;
    const results: StepResult[] = [];
    while (this.adam.step < c.steps) {
      // a macrotask turn between steps, so signal handlers (Ctrl-C, SIGTERM) and timers can run
      await new Promise<void>((resolve) => setImmediate(resolve));
      const r = await this.trainStep();
      results.push(r);
      await hooks.onStep?.(r, this);
      const stop = hooks.shouldStop?.() === true;
      const last = r.step === c.steps || stop;
      // the checkpoint first: a failing preview (or a kill during it) must not lose the step's work
      if (this.checkpointDir && ((c.checkpointEvery > 0 && r.step % c.checkpointEvery === 0) || last)) {
        const dir = await this.saveCheckpoint();
        hooks.onCheckpoint?.(dir, r.step);
      }
      if (c.sampleEvery > 0 && r.step % c.sampleEvery === 0) await hooks.onSample?.(r.step, this);
      if (stop) break;
    }
    return results;
  }

  /** Runs `fn` with the EMA weights in the network (sampling, evaluation), then restores the live ones. */
  async withEmaWeights<R>(fn: () => Promise<R> | R): Promise<R> {
    this.ema.apply();
    try {
      return await fn();
    } finally {
      this.ema.restore();
    }
  }

  /** Writes model, EMA, Adam moments and step, Rng and data state and configs atomically. */
  async saveCheckpoint(root = this.checkpointDir): Promise<string> {
    if (!root) throw new Error('Trainer.saveCheckpoint: no checkpoint directory configured');
    const w = this.weightMaxAbs();
    if (!(w <= WEIGHT_BOUND))
      this.diverged(
        `the weights reached |w| = ${w} (bound ${WEIGHT_BOUND.toExponential(0)}), not checkpointed`,
        this.adam.step - 1,
      );
    const emaState = this.ema.getState();
    try {
      const { m, v } = this.adam.stateTensors();
      const state: TrainerState = {
        network: this.net.config,
        train: this.config,
        schedule: this.schedule.toJSON(),
        rng: this.rng.state(),
        data: this.data.getState ? this.data.getState() : null,
        dataResumable: typeof this.data.getState === 'function',
        emaUpdates: emaState.updates,
        adamStep: this.adam.step,
      };
      const named = (ts: tf.Tensor[]) => ts.map((tensor, i) => ({ name: this.trainableNames[i], tensor }));
      const dir = await writeCheckpoint(
        root,
        this.adam.step,
        {
          params: this.store.specs.map((s) => ({ name: s.name, tensor: this.store.read(s.name) })),
          ema: this.trainableNames.map((n) => ({ name: n, tensor: emaState.shadow[n] })),
          adam_m: named(m),
          adam_v: named(v),
        },
        state as unknown as Record<string, unknown>,
        { keep: this.config.keepCheckpoints, lastComplete: this.lastCheckpointDir },
      );
      this.lastCheckpointDir = dir;
      return dir;
    } finally {
      tf.dispose(Object.values(emaState.shadow));
    }
  }

  /**
   * Rebuilds a trainer from a checkpoint directory, or from a checkpoint root, whose newest
   * checkpoint that verifies is used (each one skipped is reported through `warn`). `train` overrides
   * fields of the saved train config (e.g. a larger `steps`); the network, schedule and seed always
   * come from the checkpoint, and `network` (the run config's) must match it. `data` must be the same
   * kind of source; its state is restored when it is resumable.
   */
  static async resume(
    dirOrRoot: string,
    opts: {
      data: ClipSource;
      train?: Partial<TrainConfig>;
      checkpointDir?: string;
      warn?: (msg: string) => void;
      network?: NetworkConfig;
      schedule?: ScheduleConfigInput;
    },
  ): Promise<Trainer> {
    let dir = dirOrRoot;
    let loaded: LoadedCheckpoint;
    if (existsSync(join(dirOrRoot, 'meta.json'))) loaded = readCheckpoint(dirOrRoot, { note: opts.warn });
    else {
      const found = findCheckpoint(dirOrRoot, { warn: opts.warn, note: opts.warn });
      if (!found) throw new Error(`no checkpoint that verifies under ${dirOrRoot}`);
      ({ dir, loaded } = found);
    }
    const { meta, groups } = loaded;
    try {
      const st = meta.state as unknown as TrainerState;
      if (!st || !st.network || !st.train || !st.rng)
        throw new Error(`checkpoint ${dir} has no trainer state (network, train, rng)`);
      if (st.adamStep !== meta.step)
        throw new Error(`checkpoint ${dir} is inconsistent: its Adam step counter is ${st.adamStep}, its step is ${meta.step}`);
      if (!(st.emaUpdates >= 0 && st.emaUpdates <= st.adamStep))
        throw new Error(`checkpoint ${dir} is inconsistent: ${st.emaUpdates} EMA updates after ${st.adamStep} steps`);
      if (opts.network) {
        const diff = describeConfigDifference(st.network, opts.network, 'checkpoint', 'run config', 'network');
        if (diff) throw new Error(`checkpoint ${dir} does not belong to this run: ${diff}`);
      }
      if (opts.schedule) {
        const diff = describeConfigDifference(
          st.schedule,
          new NoiseSchedule(opts.schedule).toJSON(),
          'checkpoint',
          'run config',
          'schedule',
        );
        if (diff) throw new Error(`checkpoint ${dir} does not belong to this run: ${diff}`);
      }
      if (opts.train?.batchSize !== undefined && opts.train.batchSize !== st.train.batchSize) {
        throw new Error(
          `checkpoint ${dir} does not belong to this run: train.batchSize = ${st.train.batchSize} (checkpoint) vs ${opts.train.batchSize} (run config)`,
        );
      }
      const override = { ...(opts.train ?? {}) };
      if (override.seed !== undefined && override.seed !== st.train.seed) {
        throw new Error(`cannot change seed on resume (checkpoint has ${st.train.seed}, got ${override.seed})`);
      }
      if (override.steps !== undefined && override.steps < meta.step)
        throw new StepsBelowCheckpointError(override.steps, meta.step, dir);
      const trainer = new Trainer({
        network: st.network,
        train: { ...st.train, ...override },
        schedule: st.schedule as ScheduleConfigInput,
        data: opts.data,
        checkpointDir: opts.checkpointDir ?? dirname(dir),
      });
      for (const g of ['params', 'ema', 'adam_m', 'adam_v'])
        if (!groups[g]) throw new Error(`checkpoint ${dir} is missing tensor group "${g}"`);
      trainer.store.load(groups.params);
      trainer.ema.setState({ rate: trainer.ema.rate, updates: st.emaUpdates, shadow: groups.ema });
      const pick = (map: tf.NamedTensorMap, g: string) =>
        trainer.trainableNames.map((n) => {
          if (!map[n]) throw new Error(`checkpoint ${dir}: group "${g}" is missing "${n}"`);
          return map[n];
        });
      trainer.adam.loadState(st.adamStep, pick(groups.adam_m, 'adam_m'), pick(groups.adam_v, 'adam_v'));
      trainer.rng.setState(st.rng);
      if (st.dataResumable && opts.data.setState) opts.data.setState(st.data);
      else
        opts.warn?.('the data source is not resumable: the resumed run sees a different batch order than an uninterrupted one');
      trainer.lastCheckpointDir = dir;
      return trainer;
    } finally {
      disposeCheckpoint(loaded);
    }
  }

  /** Frees every variable (parameters, EMA, optimiser moments). */
  dispose(): void {
    this.ema.dispose();
    this.adam.dispose();
    this.store.dispose();
  }
}
