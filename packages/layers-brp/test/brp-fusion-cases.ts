// BRP blocks run through both channel-op paths (brp-channel-ops.ts 'fused' vs 'composed'): the
// configurations (scaled-down widths of every split ratio and shortcut group count the presets
// use) and a runner returning the output and the gradient of every input and parameter. Shared by
// the layers-brp tests (composed tfjs gather) and the backend-native tests (native kernels).
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng, type ParamSpec } from '@evdm/core';
import { BottleneckResidualPathway, type BrpConfig } from '../src/brp';
import { setBrpChannelOps, type BrpChannelOps } from '../src/brp-channel-ops';
import { leakedTensors } from '../../../test-utils/tf';

export interface FusionCase {
  label: string;
  cfg: BrpConfig;
  /** input NHWC shape */
  x: [number, number, number, number];
  training?: boolean;
}

const T = 8;
const blk = (name: string, inChannels: number, outChannels: number, extra: Partial<BrpConfig>): BrpConfig => ({
  name,
  inChannels,
  outChannels,
  tembChannels: T,
  delta: 4,
  ...extra,
});

export const FUSION_CASES: FusionCase[] = [
  {
    label: 'EVDM-L expand 2:3 (192->288), SO 4',
    cfg: blk('a', 8, 12, { delta: 2, channelSplit: true, shortcutGroups: 4 }),
    x: [2, 5, 7, 8],
  },
  {
    label: 'EVDM-L expand 1:2 (192->384), SO 4, batch 1',
    cfg: blk('b', 8, 16, { delta: 8, channelSplit: true, shortcutGroups: 4 }),
    x: [1, 3, 5, 8],
  },
  {
    label: 'EVDM-L reduce 2:1 (128->64), SO 4',
    cfg: blk('c', 16, 8, { channelSplit: true, shortcutGroups: 4 }),
    x: [2, 3, 3, 16],
  },
  {
    label: "EVDM-L reduce 3:2 (192->128), SO 4, width 'C'",
    cfg: blk('d', 24, 16, { channelSplit: true, shortcutGroups: 4, enhancementWidth: 'C' }),
    x: [2, 4, 5, 24],
  },
  {
    label: 'EVDM-L reduce 7:3 (1344->576), SO 4',
    cfg: blk('e', 28, 12, { channelSplit: true, shortcutGroups: 4 }),
    x: [1, 5, 3, 28],
  },
  {
    label: 'EVDM-L C->C identity shortcut, training dropout',
    cfg: blk('f', 16, 16, { channelSplit: true, shortcutGroups: 4 }),
    x: [2, 3, 5, 16],
    training: true,
  },
  {
    label: 'EVDM-L C->C down-sampling, SO 4',
    cfg: blk('g', 16, 16, { channelSplit: true, shortcutGroups: 4, resample: 'down' }),
    x: [2, 6, 4, 16],
  },
  {
    label: 'EVDM-L C->C up-sampling, SO 4',
    cfg: blk('h', 16, 16, { channelSplit: true, shortcutGroups: 4, resample: 'up' }),
    x: [1, 3, 2, 16],
  },
  { label: 'EVDM+Split (SO off) 12->8', cfg: blk('i', 12, 8, { channelSplit: true }), x: [2, 3, 4, 12] },
  { label: 'EVDM+SO (no Split) 8->16', cfg: blk('j', 8, 16, { shortcutGroups: 4 }), x: [2, 4, 3, 8] },
  {
    label: 'EVDM C->C (identity shortcut, affine bottleneck norm)',
    cfg: blk('k', 16, 16, { temporalEnhancement: false }),
    x: [2, 3, 3, 16],
  },
];

/** Every parameter random (the last convs too, which start at 0 in a fresh block). */
export function randomStore(specs: ParamSpec[], seed: number): ParamStore {
  return new ParamStore(
    specs.map((s) => ({ ...s, init: { kind: 'varianceScaling' as const, scale: 1, fanIn: 4, fanOut: 4 } })),
    new Rng(seed),
  );
}

/**
 * Output and the gradients (x, temb, every parameter in spec order) of sum(block(x) · r) under
 * `mode`, with SiLU(temb) passed precomputed when `tembAct`.
 */
export function runBlock(
  c: FusionCase,
  mode: BrpChannelOps,
  store: ParamStore,
  { tembAct = false, seed = 3 } = {},
): Float32Array[] {
  setBrpChannelOps(mode);
  try {
    return tf.tidy(() => {
      const block = new BottleneckResidualPathway(c.cfg);
      const specs = block.paramSpecs();
      const x = tf.randomNormal(c.x, 0, 1, 'float32', seed);
      const temb = tf.randomNormal([c.x[0], T], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
      const out = block.outputShape(c.x);
      const r = tf.randomNormal(out, 0, 1, 'float32', seed + 2);
      const params = specs.map((s) => store.read(s.name) as tf.Tensor);
      const f = (...ts: tf.Tensor[]) => {
        const byName = new Map(specs.map((s, i) => [s.name, ts[2 + i]]));
        const t = ts[1] as tf.Tensor2D;
        const ctx = {
          temb: t,
          tembAct: tembAct ? (tf.mul(t, tf.sigmoid(t)) as tf.Tensor2D) : undefined,
          training: c.training,
          seed: 11,
        };
        return tf.sum(
          tf.mul(
            block.apply((n) => byName.get(n)!, ts[0] as tf.Tensor4D, ctx),
            r,
          ),
        );
      };
      const y = block.apply(store.read, x as tf.Tensor4D, { temb, training: c.training, seed: 11 });
      const grads = tf.grads(f)([x, temb, ...params]);
      return [y, ...grads].map((g) => g.dataSync().slice() as Float32Array);
    });
  } finally {
    setBrpChannelOps('fused');
  }
}

/** Tensors left alive per fused forward + backward of case `c` (leakedTensors of test-utils). */
export function fusedStepLeaks(c: FusionCase): number {
  const block = new BottleneckResidualPathway(c.cfg);
  const store = randomStore(block.paramSpecs(), 2);
  const x = tf.randomNormal(c.x) as tf.Tensor4D;
  const temb = tf.randomNormal([c.x[0], T]) as tf.Tensor2D;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(block.apply(store.read, x, { temb })) as tf.Scalar);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const n = leakedTensors(step);
  tf.dispose([x, temb, ...store.variableList()]);
  return n;
}
