import type { ModuleGroup } from '../models/unet';
import { DenoisingUNet } from '../models/unet';

export interface LevelProfile {
  level: number;
  blockParams: number;
  attentionParams: number;
  blockFlops: number;
  attentionFlops: number;
}

export interface NetworkProfile {
  params: number;
  /** Forward FLOPs (fvcore convention: MACs, GroupNorm 4-5/element, FIR and per-block Linears 0). */
  flops: number;
  batch: number;
  /** Table 1 split: residual-block ("conv") and attention cost per U-Net stage level. */
  levels: LevelProfile[];
  /** Everything by module group (stem = input conv + output norm/conv, temb = time MLP). */
  byGroup: Record<ModuleGroup, { params: number; flops: number }>;
  /** By op kind (conv, attention, norm, linear). */
  byKind: Record<string, number>;
}

/** Analytic parameter and FLOP profile of a network (the layers' own counts, summed per module). */
export function profileNetwork(net: DenoisingUNet, batch: number): NetworkProfile {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  const levelsN = net.config.channelMult.length;
  const levels: LevelProfile[] = Array.from({ length: levelsN }, (_, i) => ({
    level: i + 1,
    blockParams: 0,
    attentionParams: 0,
    blockFlops: 0,
    attentionFlops: 0,
  }));
  const byGroup = {
    block: { params: 0, flops: 0 },
    attention: { params: 0, flops: 0 },
    stem: { params: 0, flops: 0 },
    temb: { params: 0, flops: 0 },
  };
  const byKind: Record<string, number> = {};
  let params = 0;
  let flops = 0;
  for (const m of net.modules) {
    // Trainable parameters only: saved buffers (FAVOR+ projections) are not parameters in the
    // paper's counts (PyTorch registers them as buffers).
    const p = m.specs.filter((s) => s.trainable !== false).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const entries = m.flops(batch);
    const f = entries.reduce((s, e) => s + e.flops, 0);
    params += p;
    flops += f;
    byGroup[m.group].params += p;
    byGroup[m.group].flops += f;
    for (const e of entries) byKind[e.kind] = (byKind[e.kind] ?? 0) + e.flops;
    if (m.level !== null && (m.group === 'block' || m.group === 'attention')) {
      const l = levels[m.level - 1];
      if (m.group === 'block') {
        l.blockParams += p;
        l.blockFlops += f;
      } else {
        l.attentionParams += p;
        l.attentionFlops += f;
      }
    }
  }
  return { params, flops, batch, levels, byGroup, byKind };
}
