import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { I3D, i3dConfig, type I3DConfig } from './i3d-model';

/**
 * On-disk I3D weights: a directory with `model.json` and the binary shard(s) it lists. The JSON is
 * a tf.io weights manifest plus the network config:
 *
 * ```json
 * { "format": "evdm-i3d", "formatVersion": 1,
 *   "config": { "numClasses": 400, "inChannels": 3, "width": 1, "bnEps": 0.001, "logitsPool": [2, 7, 7] },
 *   "source": "free text, e.g. converted from i3d_torchscript.pt",
 *   "weightsManifest": [ { "paths": ["weights.bin"],
 *     "weights": [ { "name": "Conv3d_1a_7x7/conv_3d/w", "shape": [7, 7, 7, 3, 64], "dtype": "float32" }, ... ] } ] }
 * ```
 *
 * The shards are the little-endian float32 values of the listed tensors, concatenated in manifest
 * order (row-major, TF layouts: conv kernels `[kt, kh, kw, cin, cout]`). Names are TF-Hub's
 * without the `RGB/inception_i3d/` prefix.
 */
export interface I3DModelJson {
  format: 'evdm-i3d';
  formatVersion: 1;
  config: I3DConfig;
  source?: string;
  weightsManifest: tf.io.WeightsManifestConfig;
}

export const I3D_MODEL_FILE = 'model.json';

const MISSING_WEIGHTS_HELP =
  'FVD needs the pretrained Kinetics-400 I3D weights, which are not bundled and cannot be downloaded ' +
  'by this package. Get `i3d_torchscript.pt` (the StyleGAN-V / MCVD FVD detector) and convert it with ' +
  '`python tools/convert_i3d_torchscript.py i3d_torchscript.pt <dir>` (see the @evdm/metrics README), ' +
  'then pass that directory.';

/** Writes `model.json` + `weights.bin` for `i3d` into `dir` (created if needed). */
export async function saveI3D(i3d: I3D, dir: string, source = 'saved by @evdm/metrics'): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { data, specs } = await i3d.params.encode();
  const json: I3DModelJson = {
    format: 'evdm-i3d',
    formatVersion: 1,
    config: i3d.config,
    source,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data));
  writeFileSync(join(dir, I3D_MODEL_FILE), JSON.stringify(json, null, 1));
}

/**
 * Loads I3D weights written by `saveI3D` or `tools/convert_i3d_torchscript.py`. Throws a message
 * explaining how to obtain and convert the weights when `dir` has no `model.json`.
 */
export function loadI3D(dir: string | undefined): I3D {
  if (!dir) throw new Error(`No I3D weights given. ${MISSING_WEIGHTS_HELP}`);
  const file = join(dir, I3D_MODEL_FILE);
  if (!existsSync(file)) throw new Error(`No I3D weights at ${dir} (missing ${I3D_MODEL_FILE}). ${MISSING_WEIGHTS_HELP}`);
  let json: I3DModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json.format !== 'evdm-i3d' || json.formatVersion !== 1) {
    throw new Error(`${file} is not an evdm-i3d v1 model (format ${JSON.stringify(json.format)}, version ${json.formatVersion})`);
  }
  const config = i3dConfig(json.config);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const shard = join(dir, p);
      if (!existsSync(shard)) throw new Error(`I3D weight shard ${shard} listed in ${file} is missing`);
      buffers.push(readFileSync(shard));
    }
    specs.push(...group.weights);
  }
  for (const s of specs) {
    if (s.dtype !== 'float32') throw new Error(`${file}: weight ${s.name} has dtype ${s.dtype}; only float32 is supported`);
  }
  const expected = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  if (total !== expected) {
    throw new Error(`I3D weights in ${dir}: shards hold ${total} bytes but the manifest describes ${expected}`);
  }
  const all = new Uint8Array(total);
  let o = 0;
  for (const b of buffers) {
    all.set(b, o);
    o += b.byteLength;
  }
  const map = tf.io.decodeWeights(all.buffer, specs);
  try {
    return I3D.fromTensors(config, map);
  } finally {
    tf.dispose(Object.values(map));
  }
}
