import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeFsError, fsOps, fsyncDir, writeFileDurable } from '../io/atomic-write';

/**
 * Checkpoints are directories `<root>/step-<N>/` holding `meta.json` plus one tf.io weights shard
 * per tensor group (`<group>.bin` + its manifest and sha256 in meta.json; `stateSha256` covers the
 * JSON state: configs, counters). Every file is fsynced in a temporary directory
 * `.tmp-step-<N>-<pid>`, which is renamed into place (then the root is fsynced), and `latest.json`
 * is replaced the same way afterwards, so a crash, a kill or a power loss at any point leaves the
 * previous checkpoint intact and loadable. Reading and verifying is in `checkpoint-read.ts`.
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
  /** sha256 of `JSON.stringify(state)` (absent in checkpoints written before checksums). */
  stateSha256?: string;
  groups: Record<string, { file: string; specs: tf.io.WeightsManifestEntry[]; sha256?: string; bytes?: number }>;
}

export const META = 'meta.json';
export const TMP_DIR_RE = /^\.tmp-step-(\d+)-(\d+)$/;
export const TMP_POINTER_RE = /^\.latest\.json\.(\d+)$/;

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A checkpoint that could not be written: names the file, the step and the last complete checkpoint. */
export class CheckpointWriteError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly file: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CheckpointWriteError';
  }
}

/** The `step-N` directories under `root`, newest first. */
export function checkpointSteps(root: string): number[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what crashed or killed writers left under `root` (`.tmp-step-N-PID` directories and
 * `.latest.json.PID` files whose process is gone); returns the names removed.
 */
export function cleanCheckpointLeftovers(root: string): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = TMP_DIR_RE.exec(name) ?? TMP_POINTER_RE.exec(name);
    if (!m) continue;
    const pid = Number(m[m.length - 1]);
    if (pidAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export async function writeCheckpoint(
  root: string,
  step: number,
  groups: CheckpointGroups,
  state: Record<string, unknown>,
  { keep = 3, lastComplete = null }: { keep?: number; lastComplete?: string | null } = {},
): Promise<string> {
  mkdirSync(root, { recursive: true });
  const finalDir = join(root, `step-${step}`);
  const tmpDir = join(root, `.tmp-step-${step}-${process.pid}`);
  const pointerTmp = join(root, `.latest.json.${process.pid}`);
  let file = tmpDir;
  try {
    rmSync(tmpDir, { recursive: true, force: true });
    mkdirSync(tmpDir);
    const stateJson = JSON.stringify(state);
    const meta: CheckpointMeta = {
      format: 'evdm-checkpoint',
      version: 1,
      step,
      createdAt: new Date().toISOString(),
      state,
      stateSha256: sha256(stateJson),
      groups: {},
    };
    for (const [group, tensors] of Object.entries(groups)) {
      const { data, specs } = await tf.io.encodeWeights(tensors);
      const bytes = new Uint8Array(data as ArrayBuffer);
      file = join(tmpDir, `${group}.bin`);
      writeFileDurable(file, bytes);
      meta.groups[group] = { file: `${group}.bin`, specs, sha256: sha256(bytes), bytes: bytes.byteLength };
    }
    file = join(tmpDir, META);
    writeFileDurable(file, JSON.stringify(meta));
    fsyncDir(tmpDir);
    file = finalDir;
    rmSync(finalDir, { recursive: true, force: true });
    fsOps.renameSync(tmpDir, finalDir);
    fsyncDir(root);
    file = join(root, 'latest.json');
    writeFileDurable(pointerTmp, JSON.stringify({ step, dir: `step-${step}` }));
    fsOps.renameSync(pointerTmp, join(root, 'latest.json'));
    fsyncDir(root);
  } catch (e) {
    rmSync(tmpDir, { recursive: true, force: true });
    rmSync(pointerTmp, { force: true });
    const published = existsSync(join(finalDir, META));
    const last = published ? finalDir : lastComplete;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointWriteError(
      `cannot write the checkpoint of step ${step}: ${file}: ${describeFsError(e)}; ` +
        `removed the partial files; the last complete checkpoint is ${last ?? '(none yet)'}`,
      step,
      file,
      code,
      { cause: e },
    );
  }
  pruneCheckpoints(root, keep, step);
  return finalDir;
}

function pruneCheckpoints(root: string, keep: number, current: number): void {
  if (keep <= 0) return;
  const steps = checkpointSteps(root).filter((s) => s !== current);
  for (const s of steps.slice(Math.max(0, keep - 1))) rmSync(join(root, `step-${s}`), { recursive: true, force: true });
}

/** The directory `latest.json` under `root` names, or null when there is no pointer. */
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
