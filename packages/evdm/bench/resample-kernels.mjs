// FIR up/down-sampling and the grouped 1x1 shortcut conv of EVDM-L-KTH (batch 8), forward + backward,
// on the native grouped-conv kernels vs the composed pure-TF.js paths, in one process (medians).
//   node packages/evdm/bench/resample-kernels.mjs [--reps 7] [--batch 8]
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { firDownsample, firUpsample, groupedConv1x1 } from '@evdm/layers-brp';
import { initBackend } from '../dist/index.js';
import { median, timeOnce } from '../../../scripts/bench-timing.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const reps = arg('--reps', 7);
const B = arg('--batch', 8);
await initBackend({ backend: 'cpu', native: true, log: () => {} });
tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
const NAMES = ['EvdmGroupedConv2D', 'EvdmGroupedConv2DBackpropInput', 'EvdmGroupedConv2DBackpropFilter'];
const saved = NAMES.map((n) => tf.getKernel(n, 'cpu'));
if (saved.some((k) => !k)) throw new Error('native grouped-conv kernels are not registered (build @evdm/backend-native)');
const setNative = (on) => {
  for (let i = 0; i < NAMES.length; i++) {
    if (tf.getKernel(NAMES[i], 'cpu')) tf.unregisterKernel(NAMES[i], 'cpu');
    if (on) tf.registerKernel(saved[i]);
  }
};
// EVDM-L-KTH's resampling and grouped shortcut shapes (one call each; a step has several of each)
const cases = [
  ['fir down [B,64,64,96]', [[B, 64, 64, 96]], (x) => firDownsample(x)],
  ['fir down [B,32,32,192]', [[B, 32, 32, 192]], (x) => firDownsample(x)],
  ['fir up [B,32,32,192]', [[B, 32, 32, 192]], (x) => firUpsample(x)],
  ['fir up [B,16,16,288]', [[B, 16, 16, 288]], (x) => firUpsample(x)],
  ['gconv1x1 g4 [B,64,64,192]->96', [[B, 64, 64, 192], [1, 1, 48, 96], [96]], (x, k, b) => groupedConv1x1(x, k, b, 4)],
  ['gconv1x1 g4 [B,32,32,480]->192', [[B, 32, 32, 480], [1, 1, 120, 192], [192]], (x, k, b) => groupedConv1x1(x, k, b, 4)],
  ['gconv1x1 g4 [B,16,16,672]->288', [[B, 16, 16, 672], [1, 1, 168, 288], [288]], (x, k, b) => groupedConv1x1(x, k, b, 4)],
];
console.log(
  `load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}; batch ${B}; medians of ${reps}; fwd+bwd = value and all input gradients`,
);
console.log('case                               composed ms   native ms   speed-up');
let tot = [0, 0];
for (const [name, shapes, f] of cases) {
  const xs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i + 1));
  const r = tf.tidy(() => tf.randomNormal(f(...xs).shape, 0, 1, 'float32', 9));
  const step = () => {
    const g = tf.grads((...a) => tf.sum(tf.mul(f(...a), r)))(xs);
    g.forEach((t) => t.dataSync());
    tf.dispose(g);
  };
  const times = [[], []];
  for (let k = 0; k < reps + 1; k++) {
    for (const on of [false, true]) {
      setNative(on);
      const ms = timeOnce(step);
      if (k > 0) times[on ? 1 : 0].push(ms);
    }
  }
  const [c, n] = times.map(median);
  tot[0] += c;
  tot[1] += n;
  console.log(`${name.padEnd(34)} ${c.toFixed(1).padStart(9)} ${n.toFixed(1).padStart(11)} ${(c / n).toFixed(2).padStart(9)}x`);
  tf.dispose([...xs, r]);
}
setNative(true);
console.log(
  `${'total'.padEnd(34)} ${tot[0].toFixed(1).padStart(9)} ${tot[1].toFixed(1).padStart(11)} ${(tot[0] / tot[1]).toFixed(2).padStart(9)}x`,
);

// --step: whole training steps of preset networks, alternating composed / native resampling + shortcut
if (process.argv.includes('--step')) {
  const { modelConfig, DenoisingUNet, SyntheticClipSource, Trainer } = await import('../dist/index.js');
  const { parseBenchModel } = await import('../dist/internal.js');
  for (const name of ['evdm-l-kth', 'mcvd-kth']) {
    const { model, dataset } = parseBenchModel(name);
    const network = modelConfig(model, dataset);
    const cfg = new DenoisingUNet(network).config;
    const data = new SyntheticClipSource({
      batchSize: B,
      imageSize: cfg.imageSize,
      channels: cfg.imageChannels,
      past: cfg.pastFrames,
      current: cfg.currentFrames,
      future: cfg.futureFrames,
      seed: 1,
    });
    const trainer = new Trainer({ network, data, train: { steps: 100, batchSize: B, warmup: 0, checkpointEvery: 0 } });
    const times = [[], []];
    for (let k = 0; k < Math.max(2, Math.ceil(reps / 2)) + 1; k++) {
      for (const on of [false, true]) {
        setNative(on);
        const t0 = performance.now();
        await trainer.trainStep();
        if (k > 0) times[on ? 1 : 0].push(performance.now() - t0);
      }
    }
    trainer.dispose();
    setNative(true);
    const [c, n] = times.map(median);
    console.log(
      `${name} training step (batch ${B}): composed ${(c / 1000).toFixed(2)} s, native ${(n / 1000).toFixed(2)} s, ${(c / n).toFixed(2)}x; load ${loadavg()[0].toFixed(2)}`,
    );
  }
}
