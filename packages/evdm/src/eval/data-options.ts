import type { Command } from 'commander';
import type { NetworkConfig } from '../models/network-config';
import { readJsonConfigFile, resolveRunConfig, type DataConfig } from '../train/run-config';

/** The data flags shared by `evdm eval` and `evdm sample`. */
export interface DataFlags {
  data?: string;
  dataset?: string;
  dataPath?: string;
}

const SOURCES = ['synthetic', 'smmnist', 'kth', 'bair', 'ucf101'];

/** Adds `--data`, `--dataset`, `--data-path` (read by {@link resolveDataFlags}) to a command. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--data <file>', 'data config JSON (a run config or its "data" section); default: the checkpoint\'s run config')
    .option('--dataset <name>', `${SOURCES.join(' | ')} (overrides the recorded data)`)
    .option('--data-path <dir>', 'converted HDF5 data of kth, bair, ucf101');
}

/**
 * The data an evaluation reads: `--data FILE.json` (a run config or a bare data section), else
 * `--dataset NAME [--data-path DIR]`, else the checkpoint's recorded run config (`--data-path`
 * then replaces its path), else null (no data config recorded). Every error names the flag and value.
 */
export function resolveDataFlags(f: DataFlags, recorded: DataConfig | null): DataConfig | null {
  if (f.data !== undefined && f.dataset !== undefined)
    throw new Error('give either --data FILE.json or --dataset NAME, not both');
  let data: DataConfig | null = recorded;
  if (f.data !== undefined) {
    const json = readJsonConfigFile(f.data) as Record<string, unknown>;
    const section = json && typeof json === 'object' && 'data' in json ? json.data : json;
    // validated the way evdm train validates a run file (network not needed here)
    data = resolveRunConfig(
      { network: { arch: 'mcvd' }, data: { ...(section as object), ...(f.dataPath ? { path: f.dataPath } : {}) } },
      `--data ${f.data}`,
    ).data;
  } else if (f.dataset !== undefined) {
    if (!SOURCES.includes(f.dataset)) throw new Error(`--dataset "${f.dataset}" is unknown (have: ${SOURCES.join(', ')})`);
    if (['kth', 'bair', 'ucf101'].includes(f.dataset) && !f.dataPath) {
      throw new Error(
        `--dataset ${f.dataset} needs --data-path DIR: the converted HDF5 data (evdm-convert ${f.dataset} ..., see the @evdm/datasets README)`,
      );
    }
    const keep =
      recorded && recorded.source !== 'synthetic' && recorded.imageSize !== undefined ? { imageSize: recorded.imageSize } : {};
    const smm =
      recorded && recorded.source === 'smmnist' && f.dataset === 'smmnist' && recorded.smmnist
        ? { smmnist: recorded.smmnist }
        : {};
    data =
      f.dataset === 'synthetic'
        ? { source: 'synthetic' }
        : ({ source: f.dataset, ...(f.dataPath ? { path: f.dataPath } : {}), ...keep, ...smm } as DataConfig);
  } else if (f.dataPath !== undefined) {
    if (!recorded || recorded.source === 'synthetic' || recorded.source === 'smmnist') {
      throw new Error(
        `--data-path ${f.dataPath}: give --dataset NAME too (the checkpoint's recorded data is ${recorded ? `"${recorded.source}", which has no path` : 'unknown'})`,
      );
    }
    data = { ...recorded, path: f.dataPath };
  }
  if (data && data.source !== 'synthetic') data = { ...data, prefetch: 0 };
  return data;
}

/** "MCVD", "EVDM" or "EVDM-L" for a network config (EVDM-L = δ 8 with channel split). */
export function modelLabel(cfg: NetworkConfig): string {
  if (cfg.arch === 'mcvd') return cfg.spade ? 'MCVD (spatin)' : 'MCVD';
  return cfg.brp && cfg.brp.delta >= 8 && cfg.brp.channelSplit ? 'EVDM-L' : 'EVDM';
}
