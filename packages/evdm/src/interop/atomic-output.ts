/**
 * Output paths of import / export: never overwrite, and on any failure leave nothing at the target.
 * Everything is written under a temporary sibling, which is renamed into place only at the end.
 */
import { existsSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeCheckpoint } from '../train/checkpoint';

/** Fails when `path` exists, unless it is an empty directory (which is removed at the end). */
export function checkFreshTarget(path: string, flag: string): void {
  if (!existsSync(path)) {
    if (!existsSync(dirname(resolve(path)))) throw new Error(`${flag} ${path}: the parent directory does not exist`);
    return;
  }
  let empty = false;
  try {
    empty = readdirSync(path).length === 0;
  } catch {
    empty = false;
  }
  if (!empty) throw new Error(`${flag} ${path} already exists; evdm does not overwrite it (choose a new path or remove it)`);
}

/** Runs `write(tmp)` on a temporary sibling of `target`, then renames it to `target`; cleans up on failure. */
export async function writeAtomically(target: string, flag: string, write: (tmp: string) => Promise<void> | void): Promise<void> {
  checkFreshTarget(target, flag);
  const abs = resolve(target);
  const tmp = join(dirname(abs), `.${basename(abs)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await write(tmp);
    if (existsSync(abs)) rmdirSync(abs); // an empty directory (checked above)
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface WeightSet {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Writes an ordinary evdm checkpoint directory `<out>/checkpoints/step-<step>/` (what `evdm sample`,
 * `evdm eval` and `evdm export` read) with a `params` and an `ema` weight group.
 */
export async function writeEvdmCheckpoint(
  out: string,
  weights: { params: WeightSet[]; ema: WeightSet[] },
  state: Record<string, unknown>,
  step: number,
): Promise<string> {
  let finalDir = '';
  await writeAtomically(out, '--out', async (tmp) => {
    const groups = Object.fromEntries(
      Object.entries(weights).map(([g, list]) => [
        g,
        list.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape, 'float32') })),
      ]),
    );
    try {
      const dir = await writeCheckpoint(join(tmp, 'checkpoints'), step, groups, state, { keep: 0 });
      finalDir = join(out, 'checkpoints', basename(dir));
    } finally {
      for (const list of Object.values(groups)) tf.dispose(list.map((w) => w.tensor));
    }
  });
  return finalDir;
}
