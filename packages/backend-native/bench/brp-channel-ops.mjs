// Block-level timing (not a test): EVDM-L-KTH-shaped BRP blocks, batch 8, forward + backward
// (all parameter gradients) on the cpu host with the native kernels, channel ops 'fused' (native
// EvdmChannelGather) vs 'composed' (slice / concat / shuffle transpose / add / multiply), in one
// process, alternating, median of --runs (default 9) after 2 warm-ups each.
//   node packages/backend-native/bench/brp-channel-ops.mjs [--runs 9]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { ParamStore, Rng, setGroupNormImplementation } from '@evdm/core';
import { BottleneckResidualPathway, setBrpChannelOps } from '@evdm/layers-brp';
import { fusedGroupNorm, loadNative, registerNativeKernels } from '@evdm/backend-native';
import { loadavg } from 'node:os';
import { median, timeOnce } from '../../../scripts/bench-timing.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 9) || 9;
const status = loadNative();
if (!status.ok) throw new Error(`native addon unavailable: ${status.reason}`);
await tf.setBackend('cpu');
registerNativeKernels('cpu');
setGroupNormImplementation(fusedGroupNorm);
const L = { delta: 8, channelSplit: true, shortcutGroups: 4, tembChannels: 384 };
const cases = [
  ['96->96 @64x64 (identity shortcut)', { inChannels: 96, outChannels: 96 }, [8, 64, 64, 96]],
  ['192->96 @64x64 (reduce, SO 4)', { inChannels: 192, outChannels: 96 }, [8, 64, 64, 192]],
  ['192->288 @16x16 (expand, SO 4)', { inChannels: 192, outChannels: 288 }, [8, 16, 16, 192]],
  ['96->96 @64x64 down (SO 4)', { inChannels: 96, outChannels: 96, resample: 'down' }, [8, 64, 64, 96]],
];
console.log(
  `native ${status.version}, ${status.threads} thread(s); load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
let totF = 0;
let totC = 0;
for (const [label, widths, shape] of cases) {
  const block = new BottleneckResidualPathway({ name: 'b', ...L, ...widths });
  const store = new ParamStore(block.paramSpecs(), new Rng(1));
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const temb = tf.randomNormal([shape[0], 384], 0, 1, 'float32', 2);
  const tembAct = tf.tidy(() => tf.mul(temb, tf.sigmoid(temb)));
  const step = (mode) => {
    setBrpChannelOps(mode);
    let value, grads;
    const ms = timeOnce(() => {
      ({ value, grads } = tf.variableGrads(() => tf.sum(block.apply(store.read, x, { temb, tembAct }))));
      Object.values(grads).forEach((g) => g.dataSync());
    });
    tf.dispose([value, ...Object.values(grads)]);
    return ms;
  };
  for (let i = 0; i < 2; i++) {
    step('fused');
    step('composed');
  }
  const f = [];
  const c = [];
  for (let i = 0; i < runs; i++) {
    f.push(step('fused'));
    c.push(step('composed'));
  }
  totF += median(f);
  totC += median(c);
  const plumbing = new Set(['Slice', 'SplitV', 'Concat', 'Transpose', 'PadV2', 'EvdmChannelGather', 'EvdmChannelGatherGrad']);
  const prof = {};
  for (const mode of ['composed', 'fused']) {
    setBrpChannelOps(mode);
    const p = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(block.apply(store.read, x, { temb, tembAct })));
      tf.dispose([value, ...Object.values(grads)]);
    });
    const ks = p.kernels.filter((k) => plumbing.has(k.name));
    prof[mode] =
      `${p.kernels.length} kernels, ${ks.length} slice/concat/transpose/pad/gather ${ks.reduce((a, k) => a + k.kernelTimeMs, 0).toFixed(1)} ms`;
  }
  console.log(`   kernels per fwd+bwd: composed ${prof.composed}; fused ${prof.fused}`);
  console.log(
    `${label.padEnd(36)} composed ${median(c).toFixed(1)} ms  fused ${median(f).toFixed(1)} ms  ratio ${(median(c) / median(f)).toFixed(2)}x`,
  );
  tf.dispose([x, temb, tembAct, ...store.variableList()]);
}
console.log(
  `${'sum of medians'.padEnd(36)} composed ${totC.toFixed(1)} ms  fused ${totF.toFixed(1)} ms  ratio ${(totC / totF).toFixed(2)}x`,
);
