// Probe (a timing, not a test): one preset network's training step and forward-only sampling step
// on one backend, medians, plus peak RSS and page faults of the process.
//   node packages/backend-native/bench/step-probe.mjs --model evdm-l-kth [--backend native-cpu] [--batch 8] [--runs 3] [--sample-runs 3]
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { poolFor } from '../dist/index.js';
import { initBackend, parseBenchModel, modelConfig, DenoisingUNet, SyntheticClipSource, Trainer } from '../../evdm/dist/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const { model, dataset } = parseBenchModel(arg('--model', 'evdm-l-kth'));
const backendArg = arg('--backend', 'native-cpu');
const batch = Number(arg('--batch', '8'));
const runs = Number(arg('--runs', '3'));
const sampleRuns = Number(arg('--sample-runs', '3'));
const host = backendArg === 'native' ? 'wasm' : backendArg === 'native-cpu' ? 'cpu' : backendArg;
await initBackend({ backend: host, native: backendArg.startsWith('native'), log: () => {} });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const network = modelConfig(model, dataset);
const cfg = new DenoisingUNet(network).config;
const data = new SyntheticClipSource({
  batchSize: batch,
  imageSize: cfg.imageSize,
  channels: cfg.imageChannels,
  past: cfg.pastFrames,
  current: cfg.currentFrames,
  future: cfg.futureFrames,
  seed: 1,
});
const trainer = new Trainer({ network, data, train: { steps: runs + 2, batchSize: batch, warmup: 0, checkpointEvery: 0 } });
await trainer.trainStep();
const ru0 = process.resourceUsage();
const p0 = poolFor(tf.backend()).stats();
const train = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  await trainer.trainStep();
  train.push(performance.now() - t0);
}
const ru1 = process.resourceUsage();
const p1 = poolFor(tf.backend()).stats();
// forward-only: one denoiser call as a DDPM sampling step makes it
const net = trainer.net;
const read = trainer.store.read;
const xt = tf.randomNormal([batch, cfg.imageSize, cfg.imageSize, cfg.imageChannels * cfg.currentFrames], 0, 1, 'float32', 2);
const condCh = cfg.imageChannels * (cfg.pastFrames + cfg.futureFrames);
const cond = condCh > 0 ? tf.randomNormal([batch, cfg.imageSize, cfg.imageSize, condCh], 0, 1, 'float32', 3) : null;
const t = Array.from({ length: batch }, (_, i) => 100 + i);
const fwd = () => tf.tidy(() => net.apply(read, xt, t, cond, { training: false })).dataSync();
fwd();
const sample = [];
for (let i = 0; i < sampleRuns; i++) {
  const t0 = performance.now();
  fwd();
  sample.push(performance.now() - t0);
}
tf.dispose([xt, cond].filter(Boolean));
trainer.dispose();
const ru = process.resourceUsage();
console.log(
  JSON.stringify({
    model: `${model}-${dataset}`,
    backend: backendArg,
    batch,
    train_ms: Math.round(median(train)),
    train_runs: train.map(Math.round),
    sample_ms: Math.round(median(sample)),
    sample_runs: sample.map(Math.round),
    peak_rss_mb: Math.round(ru.maxRSS / 1024),
    train_minflt_per_step: Math.round((ru1.minorPageFault - ru0.minorPageFault) / runs),
    train_sys_s_per_step: +((ru1.systemCPUTime - ru0.systemCPUTime) / 1e6 / runs).toFixed(2),
    train_user_s_per_step: +((ru1.userCPUTime - ru0.userCPUTime) / 1e6 / runs).toFixed(2),
    pool_train_per_step: Object.fromEntries(
      ['reused', 'fresh', 'released', 'evicted', 'escaped'].map((k) => [k, Math.round((p1[k] - p0[k]) / runs)]),
    ),
    load: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)),
  }),
);
