/**
 * `evdm import mcvd`: an MCVD checkpoint (`torch.save([model state, optimizer state, epoch, step,
 * EMA state])`) plus its YAML config become an ordinary evdm checkpoint directory.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { DenoisingUNet } from '../models/unet';
import { parseMcvdYaml, type McvdImportConfig } from './mcvd-config';
import { MCVD_BUFFERS, mcvdKeyMap, toEvdmLayout, torchShape, type KeyMapping } from './mcvd-keys';
import { asStateDict, readTorchCheckpoint, type HostTensor } from './torch-checkpoint';
import type { TorchTensorRef } from './torch-pickle';

export type WeightChoice = 'ema' | 'model';

/** Tensors by name with lazy data: a torch state_dict or a safetensors file. */
export interface TensorSource {
  shape(name: string): number[] | undefined;
  read(name: string): HostTensor;
  names(): string[];
}

export interface ImportedWeights {
  network: DenoisingUNet;
  config: McvdImportConfig;
  /** evdm name -> values in evdm layout. */
  params: Array<{ name: string; shape: number[]; data: Float32Array }>;
  mapped: number;
  paramCount: number;
  epoch: number | null;
  step: number | null;
  weights: WeightChoice;
  /** With `alsoModel`: the model (non-EMA) weights too, when `weights` is 'ema'. */
  modelParams?: ImportedWeights['params'];
}

function describe(list: Array<[string, number[]]>, max = 12): string {
  const shown = list.slice(0, max).map(([k, s]) => `${k} [${s.join(', ')}]`);
  return shown.join(', ') + (list.length > max ? `, ... (${list.length - max} more)` : '');
}

/**
 * Checks that `source` holds exactly the parameters of `network` under MCVD names (shapes in torch
 * layout) and converts them. The error names every missing, unexpected and mis-shaped key.
 */
export function mapMcvdWeights(network: DenoisingUNet, source: TensorSource, what: string): ImportedWeights['params'] {
  const mapping = mcvdKeyMap(network);
  const used = new Set<string>();
  const missing: Array<[string, number[]]> = [];
  const wrong: string[] = [];
  const resolved: Array<[KeyMapping, string]> = [];
  const lastNorm = `unet.all_modules.${network.modules.length - 2}`;
  for (const m of mapping) {
    let key = m.key;
    // checkpoints written before MCVD named the output norm's GroupNorm `Norm_0` store it one level up
    if (source.shape(key) === undefined && key.startsWith(`${lastNorm}.Norm_0.`)) {
      const alt = key.replace('.Norm_0.', '.');
      if (source.shape(alt) !== undefined) key = alt;
    }
    const shape = source.shape(key);
    const want = torchShape(m);
    if (shape === undefined) {
      missing.push([key, want]);
      continue;
    }
    used.add(key);
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      wrong.push(`${key} is [${shape.join(', ')}], the config needs [${want.join(', ')}]`);
      continue;
    }
    resolved.push([m, key]);
  }
  const unexpected: Array<[string, number[]]> = source
    .names()
    .filter((k) => !used.has(k) && !MCVD_BUFFERS.includes(k))
    .map((k) => [k, source.shape(k)!]);
  if (missing.length || wrong.length || unexpected.length) {
    const parts = [];
    if (missing.length) parts.push(`${missing.length} missing key(s): ${describe(missing)}`);
    if (unexpected.length) parts.push(`${unexpected.length} unexpected key(s): ${describe(unexpected)}`);
    if (wrong.length)
      parts.push(`${wrong.length} shape mismatch(es): ${wrong.slice(0, 12).join('; ')}${wrong.length > 12 ? '; ...' : ''}`);
    throw new Error(`${what} does not match the config's network: ${parts.join('; ')}`);
  }
  return resolved.map(([m, key]) => ({ name: m.name, shape: m.shape, data: toEvdmLayout(m, source.read(key)) }));
}

/** A TensorSource over a state_dict, with DataParallel's `module.` prefix removed. */
export function stateDictSource(sd: Map<string, TorchTensorRef>, read: (t: TorchTensorRef) => HostTensor): TensorSource {
  const byName = new Map<string, TorchTensorRef>();
  for (const [k, v] of sd) byName.set(k.startsWith('module.') ? k.slice('module.'.length) : k, v);
  return {
    shape: (n) => byName.get(n)?.shape,
    read: (n) => read(byName.get(n)!),
    names: () => [...byName.keys()],
  };
}

/** Checks the checkpoint's stored noise schedule against the config's. */
function checkSchedule(source: TensorSource, cfg: McvdImportConfig, what: string): void {
  if (source.shape('betas') === undefined) return;
  const betas = source.read('betas').data;
  const s = cfg.schedule as { T: number; betaStart: number; betaEnd: number };
  const ok = betas.length === s.T && Math.abs(betas[0] - s.betaEnd) < 1e-7 && Math.abs(betas[s.T - 1] - s.betaStart) < 1e-7;
  if (!ok) {
    throw new Error(
      `${what} was trained with ${betas.length} noise levels from ${betas[0]} to ${betas[betas.length - 1]}, ` +
        `the config says num_classes ${s.T}, sigma_begin ${s.betaEnd}, sigma_end ${s.betaStart}`,
    );
  }
}

/** Reads an MCVD checkpoint + YAML config and returns evdm weights (nothing is written). */
export function importMcvd(
  checkpointPath: string,
  configPath: string,
  weights: WeightChoice = 'ema',
  { alsoModel = false } = {},
): ImportedWeights {
  if (weights !== 'ema' && weights !== 'model') throw new Error(`--weights must be ema or model, got "${weights}"`);
  let yamlText: string;
  try {
    yamlText = readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new Error(`${configPath}: cannot read: ${(e as Error).message}`);
  }
  const config = parseMcvdYaml(yamlText, configPath);
  const network = new DenoisingUNet(config.network);
  const ckpt = readTorchCheckpoint(checkpointPath);
  const root = ckpt.root;
  let model: Map<string, TorchTensorRef> | null;
  let ema: Map<string, TorchTensorRef> | null = null;
  let epoch: number | null = null;
  let step: number | null = null;
  if (Array.isArray(root)) {
    // MCVD runner: [model state_dict, optimizer state_dict, epoch, step, (EMA state_dict)]
    model = asStateDict(root[0]);
    if (!model)
      throw new Error(
        `${checkpointPath}: the first entry is not a state_dict (expected MCVD's [model, optimizer, epoch, step, ema] list)`,
      );
    if (root.length > 4) {
      ema = asStateDict(root[4]);
      if (!ema) throw new Error(`${checkpointPath}: the fifth entry is not an EMA state_dict`);
    }
    epoch = typeof root[2] === 'number' ? root[2] : null;
    step = typeof root[3] === 'number' ? root[3] : null;
  } else {
    model = asStateDict(root);
    if (!model) throw new Error(`${checkpointPath}: neither MCVD's checkpoint list nor a state_dict`);
  }
  const modelSource = stateDictSource(model, (t) => ckpt.tensor(t));
  checkSchedule(modelSource, config, checkpointPath);
  let source = modelSource;
  if (weights === 'ema') {
    if (!ema)
      throw new Error(`${checkpointPath} has no EMA weights (MCVD writes them as the fifth list entry); use --weights model`);
    source = stateDictSource(ema, (t) => ckpt.tensor(t));
  }
  const what = `${checkpointPath} (${weights} weights)`;
  const params = mapMcvdWeights(network, source, what);
  const modelParams =
    alsoModel && weights === 'ema' ? mapMcvdWeights(network, modelSource, `${checkpointPath} (model weights)`) : undefined;
  return {
    modelParams,
    network,
    config,
    params,
    mapped: params.length,
    paramCount: params.reduce((n, p) => n + p.data.length, 0),
    epoch,
    step,
    weights,
  };
}

/** tf tensors of imported weights, for the checkpoint writer (caller disposes). */
export function toTensors(params: ImportedWeights['params']): Array<{ name: string; tensor: tf.Tensor }> {
  return params.map((p) => ({ name: p.name, tensor: tf.tensor(p.data, p.shape, 'float32') }));
}
