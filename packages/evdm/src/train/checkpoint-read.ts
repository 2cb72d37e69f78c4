import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { META, checkpointSteps, latestCheckpoint, sha256, type CheckpointMeta } from './checkpoint';

/**
 * |w| above this in the weights (params, EMA) means a diverged run, not a model: such a checkpoint is
 * refused on load and never written (a "last good checkpoint" must be one training can go on from).
 */
export const WEIGHT_BOUND = 1e6;

/** A checkpoint that fails verification; `dir` and `reason` say which and why. */
export class CheckpointError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${dir} ${reason}`);
    this.name = 'CheckpointError';
  }
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  groups: Record<string, tf.NamedTensorMap>;
}

export interface ReadOptions {
  /** Notes that are not errors (e.g. an old checkpoint without checksums). */
  note?: (msg: string) => void;
  /** Largest |w| accepted in the `params` and `ema` groups (default WEIGHT_BOUND). */
  weightBound?: number;
  /** false: verify only, decode no tensors (no tfjs backend needed); `groups` is then empty. */
  decode?: boolean;
}

/** Largest |x| of a float32 buffer, NaN when it holds a NaN (Infinity for ±Inf). */
export function maxAbs(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (!(a <= m)) {
      if (Number.isNaN(a)) return NaN;
      m = a;
    }
  }
  return m;
}

/** Reads `meta.json`; every problem is a CheckpointError naming the file. */
export function readCheckpointMeta(dir: string): CheckpointMeta {
  const metaPath = join(dir, META);
  if (!existsSync(metaPath)) throw new CheckpointError(dir, `is incomplete: ${META} is missing`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (e) {
    throw new CheckpointError(dir, `is corrupt: ${META} is not valid JSON (${(e as Error).message})`);
  }
  if (!meta || meta.format !== 'evdm-checkpoint' || meta.version !== 1) {
    throw new CheckpointError(dir, `has an unsupported format ${JSON.stringify(meta?.format)} v${meta?.version}`);
  }
  const dirStep = /step-(\d+)$/.exec(dir);
  if (dirStep && Number(dirStep[1]) !== meta.step)
    throw new CheckpointError(dir, `is inconsistent: its ${META} says step ${meta.step}`);
  if (meta.stateSha256 !== undefined && sha256(JSON.stringify(meta.state)) !== meta.stateSha256) {
    throw new CheckpointError(
      dir,
      `was edited or is corrupt: the state in ${META} (configs, step counters) does not match its sha256`,
    );
  }
  return meta;
}

/**
 * Reads and verifies a checkpoint directory: sizes, sha256 of every file (checkpoints written before
 * checksums load with a note), finite weights everywhere, bounded params/EMA. Errors are
 * CheckpointErrors naming the directory, the file and the problem.
 */
export function readCheckpoint(dir: string, opts: ReadOptions = {}): LoadedCheckpoint {
  const meta = readCheckpointMeta(dir);
  const bound = opts.weightBound ?? WEIGHT_BOUND;
  const unchecked: string[] = [];
  const buffers: Record<string, ArrayBuffer> = {};
  for (const [group, { file, specs, sha256: sum }] of Object.entries(meta.groups)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new CheckpointError(dir, `is incomplete: ${file} is missing`);
    const buf = readFileSync(path);
    const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (buf.byteLength !== expected)
      throw new CheckpointError(
        dir,
        `is truncated or corrupt: ${file} has ${buf.byteLength} bytes, its manifest needs ${expected}`,
      );
    if (sum === undefined) unchecked.push(file);
    else if (sha256(buf) !== sum) throw new CheckpointError(dir, `is corrupt: ${file} does not match its sha256 in ${META}`);
    buffers[group] = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  }
  if (unchecked.length)
    opts.note?.(
      `checkpoint ${dir} predates checksums (${unchecked.join(', ')} unverified); it is checked for finite weights only`,
    );
  for (const [group, { specs }] of Object.entries(meta.groups)) {
    let off = 0;
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (s.dtype === 'float32') {
        const m = maxAbs(new Float32Array(buffers[group], off, n));
        if (!Number.isFinite(m)) throw new CheckpointError(dir, `holds non-finite weights: ${group} "${s.name}" contains ${m}`);
        if ((group === 'params' || group === 'ema') && m > bound) {
          throw new CheckpointError(
            dir,
            `holds diverged weights: ${group} "${s.name}" reaches |w| = ${m.toExponential(2)} (> ${bound.toExponential(0)})`,
          );
        }
      }
      off += n * 4;
    }
  }
  const groups: Record<string, tf.NamedTensorMap> = {};
  if (opts.decode === false) return { meta, groups };
  for (const [group, { specs }] of Object.entries(meta.groups)) groups[group] = tf.io.decodeWeights(buffers[group], specs);
  return { meta, groups };
}

/**
 * The newest checkpoint under `root` that verifies, or null when none does. Tried in order: every
 * `step-N` directory newest first (a missing or stale `latest.json` does not hide a newer complete
 * checkpoint); each one skipped is reported through `warn` with the reason.
 */
export function findCheckpoint(
  root: string,
  { warn, note, weightBound, decode }: ReadOptions & { warn?: (msg: string) => void } = {},
): { dir: string; loaded: LoadedCheckpoint } | null {
  let pointer: string | null = null;
  try {
    pointer = latestCheckpoint(root);
  } catch (e) {
    warn?.(`${(e as Error).message}: scanning the step-N directories`);
  }
  const steps = checkpointSteps(root);
  if (pointer && !steps.some((s) => join(root, `step-${s}`) === pointer))
    warn?.(`${join(root, 'latest.json')} names ${pointer}, which does not exist`);
  for (const s of steps) {
    const dir = join(root, `step-${s}`);
    try {
      const loaded = readCheckpoint(dir, { note, weightBound, decode });
      if (pointer === null) warn?.(`${join(root, 'latest.json')} is missing: using ${dir}, the newest checkpoint that verifies`);
      else if (pointer !== dir)
        warn?.(`${join(root, 'latest.json')} names ${pointer}; using ${dir}, the newest checkpoint that verifies`);
      return { dir, loaded };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      warn?.(`skipping ${e.message}`);
    }
  }
  return null;
}

/** Frees the tensors of a loaded checkpoint. */
export function disposeCheckpoint(c: LoadedCheckpoint): void {
  for (const g of Object.values(c.groups)) tf.dispose(Object.values(g));
}
