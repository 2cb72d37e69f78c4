// Where does a training step's time go? Runs warm-up steps of a preset network (default 2: the second
// step still allocates the optimiser's second buffer set, so it is not yet steady state), then profiles one
// step with tf.profile and prints wall time per kernel name (count, total ms, share), plus the time
// spent outside kernels (tape bookkeeping, disposal, JS glue). --json prints one line:
// {model, backend, batch, wall_ms, kernel_ms, calls, compute_ms, memory_ms, memory_bytes, memory_gbps,
//  memory_calls, memory_small_calls, kernels: [{name, count, ms, bytes?, gbps?}], shapes: [...]}
// (training-step-backends.mjs reads it and sets memory_gbps against the measured triad). In the per-kernel table,
// scopes (a custom op, or an op with a custom gradient, around its inner kernels) are listed with
// their inner kernels, so shares can add past 100 %: read it as a ranking; the totals count each
// kernel once.
//
//   node packages/evdm/bench/kernel-profile.mjs [--model evdm-l-kth] [--backend native-cpu] [--batch 8]
//        [--top 30] [--warmup 2] [--remat] [--json]
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, modelConfig, DenoisingUNet, SyntheticClipSource, Trainer } from '../dist/index.js';
import { parseBenchModel } from '../dist/internal.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const { model, dataset } = parseBenchModel(arg('--model', 'evdm-l-kth'));
const backendArg = arg('--backend', 'native-cpu');
const batch = Number(arg('--batch', '8'));
const top = Number(arg('--top', '30'));
const json = process.argv.includes('--json');
const warmup = Number(arg('--warmup', '2'));
if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a non-negative integer, got ${arg('--warmup')}`);
const nativeHost = backendArg.startsWith('native');
const host = backendArg === 'native' ? 'wasm' : backendArg === 'native-cpu' ? 'cpu' : backendArg;
await initBackend({ backend: host, native: nativeHost });
// the profiler would otherwise read every output back to check for NaN
tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);

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
const trainer = new Trainer({
  network,
  data,
  train: { steps: warmup + 1, batchSize: batch, warmup: 0, checkpointEvery: 0, rematerialize: process.argv.includes('--remat') },
});
for (let i = 0; i < warmup; i++) await trainer.trainStep();
const t0 = performance.now();
const profile = await tf.profile(() => trainer.trainStep());
const wall = performance.now() - t0;
trainer.dispose();

// Profile records that wrap other kernels (custom ops, tfjs ops with a custom gradient): their time
// is their inner kernels' time plus glue, so sums skip them.
const isScope = (name) => name === 'unnamed scope' || name.endsWith('__op');
const byName = new Map();
let kernelMs = 0;
for (const k of profile.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : (k.kernelTimeMs?.kernelMs ?? 0);
  const e = byName.get(k.name) ?? { name: k.name, count: 0, ms: 0 };
  e.count++;
  e.ms += ms;
  byName.set(k.name, e);
  if (!isScope(k.name)) kernelMs += ms;
}
const rows = [...byName.values()].sort((a, b) => b.ms - a.ms);
// Compute-bound kernels (convs and matmuls) vs the rest, which is memory-bound: their time, and for
// the memory-bound ones the float32 bytes they read and write (inputs + outputs; the floor of an
// op-by-op execution of this graph at the machine's memory bandwidth). Scopes are skipped (their
// inner kernels are counted): custom ops ('unnamed scope') and tfjs ops with a custom gradient, which
// the profiler records under the op's scope name ('fusedConv2d__op' around FusedConv2D,
// 'fusedMatMul__op' around _FusedMatMul; counting those as memory-bound added ~0.24 s of conv and
// matmul time to the memory-bound side of an EVDM-L-KTH step). See isScope. EvdmFavorAttention(Grad)
// is FAVOR+'s products (the BatchMatMuls of the composed path) in one kernel, EvdmConv2DGrad / EvdmDenseGrad a
// conv's / dense layer's backward products: compute, not memory.
const COMPUTE =
  /^(Conv2D|Conv2DBackpropInput|Conv2DBackpropFilter|FusedConv2D|EvdmConv2DGrad|EvdmDenseGrad|BatchMatMul|_FusedMatMul|DepthwiseConv2dNative.*|EvdmGroupedConv2D.*|EvdmFavorAttention.*)$/;
const size = (shape) => (shape ?? []).reduce((p, v) => p * v, 1);
const split = { compute_ms: 0, memory_ms: 0, memory_bytes: 0, memory_calls: 0, memory_small_calls: 0 };
for (const k of profile.kernels) {
  if (isScope(k.name) || k.name === 'Reshape' || k.name === 'Identity') continue;
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : (k.kernelTimeMs?.kernelMs ?? 0);
  if (COMPUTE.test(k.name)) split.compute_ms += ms;
  else {
    const bytes =
      4 * (k.inputShapes.reduce((a, s) => a + (s ? size(s) : 0), 0) + k.outputShapes.reduce((a, s) => a + size(s), 0));
    split.memory_ms += ms;
    split.memory_bytes += bytes;
    split.memory_calls++;
    if (bytes < 1 << 20) split.memory_small_calls++;
    const e = byName.get(k.name);
    e.bytes = (e.bytes ?? 0) + bytes;
  }
}
// effective bandwidth of the memory-bound kernels (bytes they must move / their time), to set
// against the machine's triad bandwidth (bench/triad.c); per kernel name too
split.memory_gbps = split.memory_bytes / 1e6 / Math.max(split.memory_ms, 1e-9);
for (const r of rows) if (r.bytes !== undefined) r.gbps = r.bytes / 1e6 / Math.max(r.ms, 1e-9);
// --shapes K: the K most expensive (kernel, input shapes) pairs
const shapesTop = Number(arg('--shapes', '0'));
const byShape = new Map();
for (const k of profile.kernels) {
  const key = `${k.name} ${k.inputShapes.map((s) => (s ? `[${s}]` : '-')).join(' ')}`;
  const e = byShape.get(key) ?? { key, count: 0, ms: 0 };
  e.count++;
  e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : (k.kernelTimeMs?.kernelMs ?? 0);
  byShape.set(key, e);
}
const shapeRows = [...byShape.values()].sort((a, b) => b.ms - a.ms).slice(0, shapesTop);
if (json) {
  process.stdout.write(
    JSON.stringify({
      model: `${model}-${dataset}`,
      backend: backendArg,
      batch,
      wall_ms: wall,
      kernel_ms: kernelMs,
      calls: profile.kernels.length,
      ...split,
      kernels: rows,
      shapes: shapeRows,
    }) + '\n',
  );
} else {
  console.log(
    `${model}-${dataset} batch ${batch} on ${backendArg}: profiled step ${(wall / 1000).toFixed(2)} s, kernels ${(kernelMs / 1000).toFixed(2)} s (${profile.kernels.length} calls), outside kernels ~${((wall - kernelMs) / 1000).toFixed(2)} s`,
  );
  console.log(
    `convs + matmuls ${(split.compute_ms / 1000).toFixed(2)} s; memory-bound kernels ${(split.memory_ms / 1000).toFixed(2)} s moving ${(split.memory_bytes / 1e9).toFixed(1)} GB (${split.memory_gbps.toFixed(1)} GB/s; ${split.memory_small_calls} of ${split.memory_calls} calls move < 1 MB)`,
  );
  console.log('kernel                          calls   total s   share    GB/s (memory-bound)');
  for (const r of rows.slice(0, top))
    console.log(
      `${r.name.padEnd(30)} ${String(r.count).padStart(6)} ${(r.ms / 1000).toFixed(3).padStart(9)} ${((100 * r.ms) / wall).toFixed(1).padStart(6)} %${r.gbps === undefined ? '' : r.gbps.toFixed(2).padStart(8)}`,
    );
  if (shapeRows.length) console.log('\nmost expensive kernel + input shapes (calls, total s)');
  for (const r of shapeRows) console.log(`${String(r.count).padStart(5)} ${(r.ms / 1000).toFixed(3).padStart(7)}  ${r.key}`);
}
