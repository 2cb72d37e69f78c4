import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from '@evdm/core';
import { NoiseSchedule, type ScheduleConfigInput } from '@evdm/diffusion';
import { DenoisingUNet } from '../models/unet';
import { resolveNetworkConfig, type NetworkConfig } from '../models/network-config';
import type { CheckpointMeta } from '../train/checkpoint';
import { findCheckpoint, readCheckpoint } from '../train/checkpoint-read';
import { resolveRunConfig, type RunConfig } from '../train/run-config';

/** A checkpoint directory from a checkpoint dir, a checkpoints root, or a run directory. */
export function resolveCheckpointDir(
  p: string,
  flag = '--checkpoint',
  warn: (msg: string) => void = (m) => process.stderr.write(`evdm: warning: ${m}\n`),
): string {
  if (!existsSync(p)) throw new Error(`${flag} ${p} does not exist`);
  if (existsSync(join(p, 'meta.json'))) return p;
  // a checkpoints root or a run directory: the newest checkpoint that verifies (skips are reported)
  const root = existsSync(join(p, 'checkpoints')) ? join(p, 'checkpoints') : p;
  const found = findCheckpoint(root, { warn, decode: false });
  if (!found)
    throw new Error(`${flag} ${p}: no checkpoint that verifies there (expected meta.json, or step-N directories under ${root})`);
  return found.dir;
}

/** The run config (`config.json` of `evdm train`) a checkpoint directory belongs to, or null. */
export function runConfigOfCheckpoint(dir: string): { path: string; config: RunConfig } | null {
  // <run>/checkpoints/step-N
  const path = join(dirname(dirname(dir)), 'config.json');
  if (!existsSync(path)) return null;
  return { path, config: resolveRunConfig(JSON.parse(readFileSync(path, 'utf8')), path) };
}

export interface LoadedModel {
  dir: string;
  meta: CheckpointMeta;
  net: DenoisingUNet;
  store: ParamStore;
  schedule: NoiseSchedule;
  /** Whether the EMA weights were loaded. */
  ema: boolean;
  dispose(): void;
}

/** Builds the network of a checkpoint and loads its weights (EMA weights when `ema`). */
export function loadCheckpointModel(dir: string, { ema = true }: { ema?: boolean } = {}): LoadedModel {
  const { meta, groups } = readCheckpoint(dir, { note: (m) => process.stderr.write(`evdm: note: ${m}\n`) });
  const st = meta.state as { network?: NetworkConfig; schedule?: ScheduleConfigInput };
  try {
    if (!st.network) throw new Error(`checkpoint ${dir} has no network config`);
    const net = new DenoisingUNet(st.network);
    // every parameter is overwritten by the strict load below: skip the random initialisation
    const store = new ParamStore(
      net.paramSpecs().map((sp) => ({ ...sp, init: { kind: 'zeros' as const } })),
      0,
    );
    try {
      store.load(groups.params);
      if (ema) {
        if (!groups.ema) throw new Error(`checkpoint ${dir} has no EMA weights (use --no-ema)`);
        store.load(groups.ema, { strict: false });
      }
    } catch (e) {
      store.dispose();
      throw e;
    }
    const schedule = new NoiseSchedule(st.schedule ?? {});
    return { dir, meta, net, store, schedule, ema, dispose: () => store.dispose() };
  } finally {
    for (const g of Object.values(groups)) tf.dispose(Object.values(g));
  }
}

/** The network config recorded in a checkpoint's meta.json (no weights are read). */
export function checkpointNetworkConfig(dir: string): NetworkConfig {
  const path = join(dir, 'meta.json');
  let meta: { state?: { network?: NetworkConfig } };
  try {
    meta = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read checkpoint metadata ${path}: ${(e as Error).message}`);
  }
  if (!meta.state?.network) throw new Error(`checkpoint ${dir} has no network config`);
  return resolveNetworkConfig(meta.state.network);
}
