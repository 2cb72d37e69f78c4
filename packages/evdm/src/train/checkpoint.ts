import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checkpoints are directories `<root>/step-<N>/` holding `meta.json` plus one tf.io weights shard
 * per tensor group (`<group>.bin` + its manifest in meta.json). They are written into a temporary
 * directory and renamed into place, and `<root>/latest.json` is replaced atomically afterwards, so a
 * crash at any point leaves the previous checkpoint intact and loadable.
 */
export interface CheckpointGroups {
  [group: string]: Array<{ name: string; tensor: tf.Tensor }>;
}

export interface CheckpointMeta {
  format: 'evdm-checkpoint';
  version: 1;
  step: number;
  createdAt: string;
  /** Free-form JSON state (configs, RNG state, optimiser step, data position...). */
  state: Record<string, unknown>;
  groups: Record<string, { file: string; specs: tf.io.WeightsManifestEntry[] }>;
}

const META = 'meta.json';

export async function writeCheckpoint(
  root: string,
  step: number,
  groups: CheckpointGroups,
  state: Record<string, unknown>,
  { keep = 3 }: { keep?: number } = {},
): Promise<string> {
  mkdirSync(root, { recursive: true });
  const finalDir = join(root, `step-${step}`);
  const tmpDir = join(root, `.tmp-step-${step}-${process.pid}`);
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir);
  const meta: CheckpointMeta = { format: 'evdm-checkpoint', version: 1, step, createdAt: new Date().toISOString(), state, groups: {} };
  for (const [group, tensors] of Object.entries(groups)) {
    const { data, specs } = await tf.io.encodeWeights(tensors);
    const file = `${group}.bin`;
    writeFileSync(join(tmpDir, file), Buffer.from(data as ArrayBuffer));
    meta.groups[group] = { file, specs };
  }
  writeFileSync(join(tmpDir, META), JSON.stringify(meta));
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(tmpDir, finalDir);
  const pointerTmp = join(root, `.latest.json.${process.pid}`);
  writeFileSync(pointerTmp, JSON.stringify({ step, dir: `step-${step}` }));
  renameSync(pointerTmp, join(root, 'latest.json'));
  pruneCheckpoints(root, keep, step);
  return finalDir;
}

function pruneCheckpoints(root: string, keep: number, current: number): void {
  if (keep <= 0) return;
  const steps = readdirSync(root)
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((s) => s !== current)
    .sort((a, b) => b - a);
  for (const s of steps.slice(Math.max(0, keep - 1))) rmSync(join(root, `step-${s}`), { recursive: true, force: true });
}

/** The directory of the newest complete checkpoint under `root`, or null if there is none. */
export function latestCheckpoint(root: string): string | null {
  const pointer = join(root, 'latest.json');
  if (!existsSync(pointer)) return null;
  let p: { dir?: string };
  try {
    p = JSON.parse(readFileSync(pointer, 'utf8'));
  } catch (e) {
    throw new Error(`checkpoint pointer ${pointer} is unreadable: ${(e as Error).message}`);
  }
  if (!p.dir) throw new Error(`checkpoint pointer ${pointer} names no directory`);
  return join(root, p.dir);
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  groups: Record<string, tf.NamedTensorMap>;
}

/** Reads a checkpoint directory; every error names the file and the problem. */
export function readCheckpoint(dir: string): LoadedCheckpoint {
  const metaPath = join(dir, META);
  if (!existsSync(metaPath)) throw new Error(`not a checkpoint: ${metaPath} is missing`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (e) {
    throw new Error(`checkpoint metadata ${metaPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (meta.format !== 'evdm-checkpoint' || meta.version !== 1) {
    throw new Error(`${metaPath}: unsupported checkpoint format ${JSON.stringify(meta.format)} v${meta.version}`);
  }
  const groups: Record<string, tf.NamedTensorMap> = {};
  for (const [group, { file, specs }] of Object.entries(meta.groups)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`checkpoint file ${path} is missing`);
    const buf = readFileSync(path);
    const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (buf.byteLength !== expected) {
      throw new Error(`checkpoint file ${path} has ${buf.byteLength} bytes, its manifest needs ${expected} (truncated or corrupt)`);
    }
    groups[group] = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), specs);
  }
  return { meta, groups };
}
