// Test helper: the MCVD per-module reference numbers (test-fixtures/reference/mcvd-numbers.json).
import { loadReference } from '../../../test-utils/golden';

export interface ModuleRow {
  idx: number;
  kind: string;
  level_stage: number | null;
  in_ch: number | null;
  out_ch: number | null;
  res: number | null;
  params: number;
  conv3x3_macs?: number;
  conv1x1_macs?: number;
  spade_conv3x3_macs?: number;
  gn_elems_noaffine?: number;
  upsample_nearest_elems?: number;
}

export interface Preset {
  config: { ngf: number; spade: boolean; spade_dim: number | null; channels: number; num_frames_cond: number };
  per_module: ModuleRow[];
}

export function mcvdNumbers(): { presets: Record<string, Preset> } {
  return loadReference('mcvd-numbers.json');
}

/** ResBlock rows with their resample mode and INPUT resolution. */
export function resblockRows(p: Preset): Array<ModuleRow & { resample: 'none' | 'up' | 'down'; inRes: number }> {
  return p.per_module
    .filter((m) => m.kind.startsWith('resblock'))
    .map((m) => {
      const resample = m.kind === 'resblock_down' ? 'down' : m.kind === 'resblock_up' ? 'up' : 'none';
      const inRes = resample === 'down' ? m.res! * 2 : resample === 'up' ? m.res! / 2 : m.res!;
      return { ...m, resample, inRes };
    });
}
