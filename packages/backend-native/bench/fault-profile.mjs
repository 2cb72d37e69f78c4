// Probe (not a test): page faults and process CPU time per kernel name in one training step, which
// (unlike wall time) stay meaningful on a loaded shared machine. Wraps every cpu-backend kernel.
//   node packages/backend-native/bench/fault-profile.mjs [--model evdm-l-kth] [--top 25]
import * as tf from '@tensorflow/tfjs-core';
import { poolFor } from '../dist/index.js';
import { initBackend, parseBenchModel, modelConfig, DenoisingUNet, SyntheticClipSource, Trainer } from '../../evdm/dist/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const { model, dataset } = parseBenchModel(arg('--model', 'evdm-l-kth'));
await initBackend({ backend: 'cpu', native: true, log: () => {} });
const stats = new Map();
let depth = 0;
for (const k of tf.getKernelsForBackend('cpu')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'cpu');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (depth++ > 0) {
        try {
          return inner(args);
        } finally {
          depth--;
        }
      }
      const r0 = process.resourceUsage();
      try {
        return inner(args);
      } finally {
        depth--;
        const r1 = process.resourceUsage();
        const e = stats.get(k.kernelName) ?? { name: k.kernelName, calls: 0, faults: 0, cpu_ms: 0 };
        e.calls++;
        e.faults += r1.minorPageFault - r0.minorPageFault;
        e.cpu_ms += (r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime) / 1000;
        stats.set(k.kernelName, e);
      }
    },
  });
}
const network = modelConfig(model, dataset);
const cfg = new DenoisingUNet(network).config;
const data = new SyntheticClipSource({
  batchSize: 8,
  imageSize: cfg.imageSize,
  channels: cfg.imageChannels,
  past: cfg.pastFrames,
  current: cfg.currentFrames,
  future: cfg.futureFrames,
  seed: 1,
});
const trainer = new Trainer({ network, data, train: { steps: 3, batchSize: 8, warmup: 0, checkpointEvery: 0 } });
await trainer.trainStep();
stats.clear();
const r0 = process.resourceUsage();
await trainer.trainStep();
const r1 = process.resourceUsage();
trainer.dispose();
const rows = [...stats.values()].sort((a, b) => b.cpu_ms - a.cpu_ms);
const tot = rows.reduce((a, r) => ({ faults: a.faults + r.faults, cpu_ms: a.cpu_ms + r.cpu_ms }), { faults: 0, cpu_ms: 0 });
console.log(
  `${model}-${dataset}: step faults ${r1.minorPageFault - r0.minorPageFault}, cpu ${((r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime) / 1e6).toFixed(2)} s (sys ${((r1.systemCPUTime - r0.systemCPUTime) / 1e6).toFixed(2)}); in kernels: faults ${tot.faults}, cpu ${(tot.cpu_ms / 1000).toFixed(2)} s; pool ${JSON.stringify(poolFor(tf.backend()).stats())}`,
);
for (const r of rows.slice(0, Number(arg('--top', '25'))))
  console.log(
    `${r.name.padEnd(26)} ${String(r.calls).padStart(6)} ${String(r.faults).padStart(9)} ${(r.cpu_ms / 1000).toFixed(3).padStart(8)} s`,
  );
