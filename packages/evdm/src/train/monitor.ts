import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { WriteError, describeFsError, writeFileAtomic } from '../io/atomic-write';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { writeLossPlotSvg } from '../io/loss-plot';
import { formatDuration } from '../io/format';
import type { StepResult } from './trainer';

export interface TrainMonitorOptions {
  /** Run directory: `train.jsonl` and `loss.svg` go here. */
  outDir: string;
  totalSteps: number;
  /** Steps already done (resume). */
  startStep?: number;
  /** Log a line / refresh the bar every N steps. */
  logEvery?: number;
  /** Rewrite the loss plot every N steps (default 10·logEvery). */
  plotEvery?: number;
  /** Live bar when true; plain lines otherwise. Default: stderr is a TTY. */
  tty?: boolean;
  /** Where plain lines go (default stderr). */
  write?: (line: string) => void;
  /** Wall-clock end of a time-budgeted run (epoch ms): the ETA is the earlier of steps and budget. */
  deadline?: number;
}

interface LogLine {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  stepsPerSec: number;
  elapsedSec: number;
  time: string;
}

/**
 * Training progress: a cli-progress bar (step, loss, steps/s, ETA) or plain lines when not on a
 * terminal, `train.jsonl` (one JSON object per logged step) and `loss.svg`. On resume the log keeps
 * the lines up to the resumed step, so the file and the plot describe one continuous run.
 */
export class TrainMonitor {
  private readonly o: Required<Omit<TrainMonitorOptions, 'write' | 'deadline'>> & { write: (line: string) => void };
  private readonly deadline: number;
  private readonly jsonl: string;
  private readonly points: Array<{ step: number; loss: number }> = [];
  private readonly bar: cliProgress.SingleBar | null;
  private readonly t0 = Date.now();
  private lastTime = Date.now();
  private lastStep: number;
  private lossSum = 0;
  private lossCount = 0;
  private budgetSec = 0;

  constructor(opts: TrainMonitorOptions) {
    const logEvery = opts.logEvery ?? 10;
    this.o = {
      outDir: opts.outDir,
      totalSteps: opts.totalSteps,
      startStep: opts.startStep ?? 0,
      logEvery,
      plotEvery: opts.plotEvery ?? logEvery * 10,
      tty: opts.tty ?? Boolean(process.stderr.isTTY),
      write: opts.write ?? ((l) => process.stderr.write(l + '\n')),
    };
    this.lastStep = this.o.startStep;
    this.deadline = opts.deadline ?? Infinity;
    mkdirSync(this.o.outDir, { recursive: true });
    this.jsonl = join(this.o.outDir, 'train.jsonl');
    const kept: string[] = [];
    let dropped = 0;
    if (existsSync(this.jsonl)) {
      for (const line of readFileSync(this.jsonl, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = JSON.parse(line) as LogLine;
          if (r.step <= this.o.startStep) {
            kept.push(line);
            this.points.push({ step: r.step, loss: r.loss });
          } else dropped++;
        } catch {
          dropped++; // a line cut by a crash: drop it
        }
      }
      // lines past the resumed step (or cut): replace the file atomically, never truncate it in place
      if (dropped > 0) writeFileAtomic(this.jsonl, kept.map((l) => l + '\n').join(''), 'training log');
    }
    this.bar = this.o.tty
      ? new cliProgress.SingleBar(
          {
            // a time-budgeted run fills the bar against the clock (value/total = elapsed/budget seconds)
            format: Number.isFinite(this.deadline)
              ? 'train |{bar}| {elapsed} of {budget} | step {step} | loss {loss} | {rate} steps/s | {left} left'
              : 'train |{bar}| {value}/{total} | loss {loss} | {rate} steps/s | ETA {eta}',
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.budgetSec = Math.max(1, Math.round((this.deadline - this.t0) / 1000));
    this.barStart();
  }

  /** Every step: accumulates the loss; every `logEvery` steps writes the log line, bar and plot. */
  onStep(r: StepResult): void {
    this.lossSum += r.loss;
    this.lossCount++;
    if (r.step % this.o.logEvery !== 0 && r.step !== this.o.totalSteps) return;
    const now = Date.now();
    const rate = (r.step - this.lastStep) / Math.max(1e-3, (now - this.lastTime) / 1000);
    const loss = this.lossSum / this.lossCount;
    const line: LogLine = {
      step: r.step,
      loss,
      gradNorm: r.gradNorm,
      lr: r.lr,
      stepsPerSec: rate,
      elapsedSec: (now - this.t0) / 1000,
      time: new Date(now).toISOString(),
    };
    try {
      appendFileSync(this.jsonl, JSON.stringify(line) + '\n');
    } catch (e) {
      throw new WriteError(
        this.jsonl,
        (e as NodeJS.ErrnoException).code,
        `cannot append step ${r.step} to the training log ${this.jsonl}: ${describeFsError(e)}`,
        { cause: e },
      );
    }
    this.points.push({ step: r.step, loss });
    this.lastTime = now;
    this.lastStep = r.step;
    this.lossSum = 0;
    this.lossCount = 0;
    const left = Math.max(0, (this.deadline - now) / 1000);
    const eta = Math.min(rate > 0 ? (this.o.totalSteps - r.step) / rate : Infinity, left);
    if (this.bar) {
      const payload = {
        loss: loss.toPrecision(4),
        rate: rate.toFixed(2),
        left: formatDuration(left),
        eta: formatDuration(eta),
        step: r.step,
      };
      if (Number.isFinite(this.deadline)) {
        const elapsed = Math.min(this.budgetSec, Math.round((now - this.t0) / 1000));
        this.bar.update(elapsed, { ...payload, elapsed: formatDuration(elapsed) });
      } else this.bar.update(r.step, payload);
    } else if (Number.isFinite(this.deadline)) {
      this.o.write(
        `step ${r.step}  loss ${loss.toPrecision(4)}  ${rate.toFixed(2)} steps/s  ${formatDuration((now - this.t0) / 1000)} of ${formatDuration(this.budgetSec)}, ${formatDuration(left)} left`,
      );
    } else {
      this.o.write(
        `step ${r.step}/${this.o.totalSteps}  loss ${loss.toPrecision(4)}  ${rate.toFixed(2)} steps/s  ETA ${formatDuration(eta)}`,
      );
    }
    if (r.step % this.o.plotEvery === 0 || r.step === this.o.totalSteps) this.plot();
  }

  /** Writes `loss.svg` from every logged point. */
  plot(): void {
    if (this.points.length > 0) writeLossPlotSvg(join(this.o.outDir, 'loss.svg'), this.points);
  }

  /** Stops the bar and writes the final plot. */
  finish(): void {
    this.bar?.stop();
    this.plot();
  }

  /** (Re)starts the bar: against the step count, or against the time budget when there is one. */
  private barStart(): void {
    if (!this.bar) return;
    const payload = { loss: '-', rate: '-', left: '-', eta: '-', step: this.lastStep, budget: formatDuration(this.budgetSec) };
    if (Number.isFinite(this.deadline)) {
      const elapsed = Math.min(this.budgetSec, Math.round((Date.now() - this.t0) / 1000));
      this.bar.start(this.budgetSec, elapsed, { ...payload, elapsed: formatDuration(elapsed) });
    } else this.bar.start(this.o.totalSteps, this.o.startStep, payload);
  }

  /** Plain message that does not break the bar. */
  message(text: string): void {
    if (this.bar) {
      this.bar.stop();
      this.o.write(text);
      this.barStart();
    } else this.o.write(text);
  }
}

/** Kept for callers of 0.x: same as {@link formatDuration}. */
export const formatSeconds = formatDuration;
