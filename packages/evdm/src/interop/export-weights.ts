/**
 * `evdm export`: the weights of an evdm checkpoint (MCVD, EVDM or EVDM-L) as a safetensors file or a
 * TF.js weights directory (`model.json` + `group1-shard<i>of<n>.bin`, tf.io conventions), and the
 * readers that turn either back into weights (`evdm import safetensors|tfjs`). Both carry the
 * network and schedule configs, so an export is self-describing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ScheduleConfigInput } from '@evdm/diffusion';
import { resolveNetworkConfig, type NetworkConfig } from '../models/network-config';
import { loadCheckpointModel } from '../sample/load';
import { writeAtomically, type WeightSet } from './atomic-output';
import { encodeSafetensors, readSafetensors } from './safetensors';
import { mcvdKeyMap, toTorchLayout, torchShape } from './mcvd-keys';
import { DenoisingUNet } from '../models/unet';
import { VERSION } from '../version';

export type ExportFormat = 'safetensors' | 'tfjs';

export interface ExportedModel {
  network: NetworkConfig;
  schedule: ScheduleConfigInput;
  weights: WeightSet[];
  /** Which checkpoint group the weights came from. */
  group: string;
}

/** Reads the weights to export from a checkpoint directory: the EMA group by default when present. */
export function checkpointWeights(dir: string, choice: 'ema' | 'params' | 'auto' = 'auto'): ExportedModel {
  const hasEma = () => {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { groups?: Record<string, unknown> };
    return !!meta.groups?.ema;
  };
  const ema = choice === 'ema' || (choice === 'auto' && existsSync(join(dir, 'meta.json')) && hasEma());
  // through the loader `evdm sample` uses, so exports see exactly the weights sampling sees
  const m = loadCheckpointModel(dir, { ema });
  try {
    const weights = Object.entries(m.store.variables()).map(([name, v]) => ({
      name,
      shape: [...v.shape],
      data: v.dataSync() as Float32Array,
    }));
    const schedule = ((m.meta.state as { schedule?: ScheduleConfigInput }).schedule ?? {}) as ScheduleConfigInput;
    return { network: resolveNetworkConfig(m.net.config), schedule, weights, group: ema ? 'ema' : 'params' };
  } finally {
    m.dispose();
  }
}

function metadataOf(m: ExportedModel): Record<string, string> {
  return {
    format: 'evdm',
    'evdm.version': VERSION,
    'evdm.network': JSON.stringify(m.network),
    'evdm.schedule': JSON.stringify(m.schedule),
    'evdm.weights': m.group,
  };
}

const SHARD_BYTES = 4 * 1024 * 1024; // tfjs-converter's default shard size

/**
 * MCVD's own state_dict names and PyTorch layouts (`unet.all_modules.<i>...`), so MCVD's
 * `UNetMore_DDPM.load_state_dict(safetensors.torch.load_file(f), strict=False)` takes the file.
 */
export function asMcvdStateDict(m: ExportedModel): WeightSet[] {
  if (m.network.arch !== 'mcvd')
    throw new Error(`--names mcvd needs an MCVD network, this checkpoint is arch "${m.network.arch}"`);
  const byName = new Map(m.weights.map((w) => [w.name, w]));
  return mcvdKeyMap(new DenoisingUNet(m.network)).map((k) => {
    const w = byName.get(k.name);
    if (!w) throw new Error(`the checkpoint has no weight "${k.name}"`);
    return { name: k.key, shape: torchShape(k), data: toTorchLayout(k, w.data) };
  });
}

export async function exportModel(
  m: ExportedModel,
  format: ExportFormat,
  out: string,
  names: 'evdm' | 'mcvd' = 'evdm',
): Promise<string[]> {
  if (names !== 'evdm' && names !== 'mcvd') throw new Error(`--names must be evdm or mcvd, got "${String(names)}"`);
  if (names === 'mcvd' && format !== 'safetensors')
    throw new Error('--names mcvd is for --format safetensors (PyTorch), not tfjs');
  if (format === 'safetensors') {
    const tensors = names === 'mcvd' ? asMcvdStateDict(m) : m.weights;
    const meta = { ...metadataOf(m), 'evdm.names': names };
    await writeAtomically(out, '--out', (tmp) => writeFileSync(tmp, encodeSafetensors(tensors, meta)));
    return [out];
  }
  if (format !== 'tfjs') throw new Error(`--format must be safetensors or tfjs, got "${String(format)}"`);
  const files: string[] = [];
  await writeAtomically(out, '--out', async (tmp) => {
    mkdirSync(tmp);
    const tensors = m.weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape, 'float32') }));
    let encoded: { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] };
    try {
      encoded = (await tf.io.encodeWeights(tensors)) as { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] };
    } finally {
      tf.dispose(tensors.map((t) => t.tensor));
    }
    const n = Math.max(1, Math.ceil(encoded.data.byteLength / SHARD_BYTES));
    const paths: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `group1-shard${i + 1}of${n}.bin`;
      writeFileSync(
        join(tmp, name),
        new Uint8Array(encoded.data, i * SHARD_BYTES, Math.min(SHARD_BYTES, encoded.data.byteLength - i * SHARD_BYTES)),
      );
      paths.push(name);
    }
    const modelJson = {
      format: 'evdm-weights',
      generatedBy: `evdm ${VERSION}`,
      convertedBy: 'evdm export',
      modelTopology: null,
      weightsManifest: [{ paths, weights: encoded.specs }],
      userDefinedMetadata: metadataOf(m),
    };
    writeFileSync(join(tmp, 'model.json'), JSON.stringify(modelJson));
    files.push(join(out, 'model.json'), ...paths.map((p) => join(out, p)));
  });
  return files;
}

function fromMetadata(
  meta: Record<string, string> | undefined,
  source: string,
): { network: NetworkConfig; schedule: ScheduleConfigInput } | null {
  if (!meta || !meta['evdm.network']) return null;
  try {
    return {
      network: resolveNetworkConfig(JSON.parse(meta['evdm.network'])),
      schedule: JSON.parse(meta['evdm.schedule'] ?? '{}'),
    };
  } catch (e) {
    throw new Error(`${source}: bad evdm metadata: ${(e as Error).message}`);
  }
}

/** An evdm safetensors export back to weights; null network when the file carries no evdm metadata. */
export function readSafetensorsExport(path: string) {
  const f = readSafetensors(path);
  const cfg = fromMetadata(f.metadata, path);
  return { file: f, config: cfg, group: f.metadata?.['evdm.weights'] ?? null, names: f.metadata?.['evdm.names'] ?? 'evdm' };
}

/** A TF.js weights directory written by `evdm export --format tfjs` back to weights. */
export function readTfjsExport(dir: string): ExportedModel {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new Error(`${dir}: no model.json (expected a directory written by evdm export --format tfjs)`);
  let mj: {
    weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    userDefinedMetadata?: Record<string, string>;
  };
  try {
    mj = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`${jsonPath} is not valid JSON: ${(e as Error).message}`);
  }
  const cfg = fromMetadata(mj.userDefinedMetadata, jsonPath);
  if (!cfg) throw new Error(`${jsonPath} has no evdm network config in userDefinedMetadata`);
  if (!Array.isArray(mj.weightsManifest)) throw new Error(`${jsonPath} has no weightsManifest`);
  const weights: WeightSet[] = [];
  for (const group of mj.weightsManifest) {
    const parts = group.paths.map((p) => {
      const file = join(dir, p);
      if (!existsSync(file)) throw new Error(`${jsonPath} lists weight shard ${p}, which is missing`);
      return readFileSync(file);
    });
    const buf = Buffer.concat(parts);
    const need = group.weights.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (buf.byteLength !== need)
      throw new Error(`${dir}: weight shards hold ${buf.byteLength} bytes, the manifest needs ${need} (truncated?)`);
    const map = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), group.weights);
    for (const s of group.weights) {
      weights.push({ name: s.name, shape: [...s.shape], data: map[s.name].dataSync() as Float32Array });
    }
    tf.dispose(Object.values(map));
  }
  return { ...cfg, weights, group: mj.userDefinedMetadata?.['evdm.weights'] ?? 'params' };
}
