/**
 * The import pipelines behind `evdm import mcvd|safetensors|tfjs`: read, check against the network,
 * then write one evdm checkpoint directory atomically (nothing at --out on failure).
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { DenoisingUNet } from '../models/unet';
import { resolveNetworkConfig } from '../models/network-config';
import { writeEvdmCheckpoint, type WeightSet } from './atomic-output';
import { readSafetensorsExport, readTfjsExport } from './export-weights';
import { importMcvd, mapMcvdWeights, type WeightChoice } from './import-mcvd';
import { parseMcvdYaml } from './mcvd-config';

export interface ImportSummary {
  out: string;
  checkpoint: string;
  source: string;
  weights: string;
  keysMapped: number;
  params: number;
  seconds: number;
}

const now = () => performance.now() / 1000;

export async function runImportMcvd(opts: {
  checkpoint: string;
  config: string;
  out: string;
  weights?: string;
}): Promise<ImportSummary> {
  const t0 = now();
  const weights = (opts.weights ?? 'ema') as WeightChoice;
  const chosen = importMcvd(opts.checkpoint, opts.config, weights, { alsoModel: true });
  // MCVD checkpoints hold model and EMA weights: keep both when importing the EMA ones, so
  // `evdm sample --no-ema` can still reach the raw weights; `--weights model` puts the model ones in both.
  const other = chosen.modelParams ?? chosen.params;
  const state = {
    network: chosen.network.config,
    schedule: chosen.config.schedule,
    sampling: chosen.config.sampling,
    source: {
      format: 'mcvd',
      checkpoint: basename(opts.checkpoint),
      config: basename(opts.config),
      weights,
      epoch: chosen.epoch,
      step: chosen.step,
      dataset: chosen.config.data.dataset,
      probMaskCond: chosen.config.data.probMaskCond,
    },
  };
  const dir = await writeEvdmCheckpoint(
    opts.out,
    { params: weights === 'ema' ? other : chosen.params, ema: chosen.params },
    state,
    chosen.step ?? 0,
  );
  return {
    out: opts.out,
    checkpoint: dir,
    source: opts.checkpoint,
    weights,
    keysMapped: chosen.mapped,
    params: chosen.paramCount,
    seconds: now() - t0,
  };
}

/** Checks names and shapes of evdm-named weights against the network the config builds. */
function checkEvdmWeights(net: DenoisingUNet, weights: WeightSet[], what: string): WeightSet[] {
  const specs = new Map(net.paramSpecs().map((s) => [s.name, s.shape]));
  const have = new Map(weights.map((w) => [w.name, w]));
  const missing = [...specs].filter(([n]) => !have.has(n)).map(([n, s]) => `${n} [${s.join(', ')}]`);
  const unexpected = weights.filter((w) => !specs.has(w.name)).map((w) => `${w.name} [${w.shape.join(', ')}]`);
  const wrong = weights
    .filter((w) => specs.has(w.name) && specs.get(w.name)!.join() !== w.shape.join())
    .map((w) => `${w.name} is [${w.shape.join(', ')}], the network needs [${specs.get(w.name)!.join(', ')}]`);
  if (missing.length || unexpected.length || wrong.length) {
    const parts = [];
    if (missing.length) parts.push(`${missing.length} missing: ${missing.slice(0, 12).join(', ')}`);
    if (unexpected.length) parts.push(`${unexpected.length} unexpected: ${unexpected.slice(0, 12).join(', ')}`);
    if (wrong.length) parts.push(`${wrong.length} shape mismatch(es): ${wrong.slice(0, 12).join('; ')}`);
    throw new Error(`${what} does not match its network config: ${parts.join('; ')}`);
  }
  return [...specs.keys()].map((n) => have.get(n)!);
}

export async function runImportSafetensors(opts: { file: string; out: string; config?: string }): Promise<ImportSummary> {
  const t0 = now();
  const { file, config, group, names } = readSafetensorsExport(opts.file);
  let net: DenoisingUNet;
  let weights: WeightSet[];
  let schedule: unknown;
  let sampling: unknown;
  if (opts.config || names === 'mcvd') {
    // MCVD state_dict names (`evdm export --names mcvd`, or a conversion of an MCVD .pt file): map them like `import mcvd`
    const mc = opts.config
      ? parseMcvdYaml(readFileSync(opts.config, 'utf8'), opts.config)
      : { network: config!.network, schedule: config!.schedule, sampling: undefined };
    net = new DenoisingUNet(mc.network);
    const strip = (n: string) => (n.startsWith('module.') ? n.slice(7) : n);
    const byName = new Map(file.names.map((n) => [strip(n), n]));
    weights = mapMcvdWeights(
      net,
      { shape: (n) => file.shape(byName.get(n) ?? n), read: (n) => file.read(byName.get(n)!), names: () => [...byName.keys()] },
      opts.file,
    );
    schedule = mc.schedule;
    sampling = mc.sampling;
  } else {
    if (!config)
      throw new Error(
        `${opts.file} carries no evdm network config (__metadata__ "evdm.network"); for MCVD-named weights pass --config FILE.yml`,
      );
    net = new DenoisingUNet(config.network);
    weights = checkEvdmWeights(
      net,
      file.names.map((n) => ({ name: n, ...file.read(n) })),
      opts.file,
    );
    schedule = config.schedule;
  }
  const state = {
    network: resolveNetworkConfig(net.config),
    schedule,
    ...(sampling ? { sampling } : {}),
    source: { format: 'safetensors', file: basename(opts.file), weights: group },
  };
  const dir = await writeEvdmCheckpoint(opts.out, { params: weights, ema: weights }, state, 0);
  return {
    out: opts.out,
    checkpoint: dir,
    source: opts.file,
    weights: group ?? 'params',
    keysMapped: weights.length,
    params: count(weights),
    seconds: now() - t0,
  };
}

export async function runImportTfjs(opts: { dir: string; out: string }): Promise<ImportSummary> {
  const t0 = now();
  const m = readTfjsExport(opts.dir);
  const net = new DenoisingUNet(m.network);
  const weights = checkEvdmWeights(net, m.weights, opts.dir);
  const state = {
    network: m.network,
    schedule: m.schedule,
    source: { format: 'tfjs', dir: basename(opts.dir), weights: m.group },
  };
  const dir = await writeEvdmCheckpoint(opts.out, { params: weights, ema: weights }, state, 0);
  return {
    out: opts.out,
    checkpoint: dir,
    source: opts.dir,
    weights: m.group,
    keysMapped: weights.length,
    params: count(weights),
    seconds: now() - t0,
  };
}

function count(w: WeightSet[]): number {
  return w.reduce((n, x) => n + x.data.length, 0);
}
