// Is bench/evdm_l_torch.py the same network as evdm's EVDM-L-KTH, not just the same parameter count?
// Runs the TS network (pure TF.js cpu, eval mode) with random weights of the right scale in EVERY
// parameter (the presets start the last convs at ~0, which would hide half of each block), writes
// weights, inputs and output to a temp dir, and has `evdm_l_torch.py --check DIR` load them into the
// PyTorch peer and compare outputs. Needs python3 with torch (and numpy); prints one JSON line.
//
//   node packages/evdm/bench/evdm_l_check.mjs [--batch 2] [--keep]   (--keep: leave the files, print their dir)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ParamStore, Rng } from '@evdm/core';
import { DenoisingUNet, initBackend, modelConfig } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--batch');
const batch = i >= 0 ? Number(process.argv[i + 1]) : 2;
await initBackend({ backend: 'cpu', native: false, log: () => {} });
const net = new DenoisingUNet(modelConfig('evdm-l', 'kth'));
const rng = new Rng(11);
const around = (n, center, spread) => Array.from({ length: n }, () => center + spread * (2 * rng.uniform() - 1));
// every kernel at variance scale 1, every bias / shift ±0.1, every GN gamma 1 ± 0.1
const specs = net.paramSpecs().map((s) => {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const leaf = s.name.split('/').pop();
  if (leaf === 'kernel') return { ...s, init: { kind: 'varianceScaling', scale: 1 } };
  if (leaf === 'bias' || leaf === 'beta') return { ...s, init: { kind: 'values', values: around(n, 0, 0.1) } };
  if (leaf === 'gamma') return { ...s, init: { kind: 'values', values: around(n, 1, 0.1) } };
  return s; // FAVOR+ projections: the stored buffers
});
const store = new ParamStore(specs, rng);
const cfg = net.config;
const x = tf.randomNormal([batch, 64, 64, cfg.currentFrames], 0, 1, 'float32', 3);
const cond = tf.randomUniform([batch, 64, 64, cfg.pastFrames], -1, 1, 'float32', 4);
const t = Array.from({ length: batch }, (_, k) => (137 + 411 * k) % 1000);
const out = net.apply(store.read, x, t, cond, { training: false });
const entries = [];
const chunks = [];
let offset = 0;
const put = (name, tensor) => {
  const v = tensor.dataSync();
  entries.push({ name, shape: tensor.shape, offset, size: v.length });
  chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  offset += v.length;
  return entries[entries.length - 1];
};
const params = specs.map((s) => put(s.name, store.read(s.name)));
const meta = { params, x: put('x', x), cond: put('cond', cond), out: put('out', out), t };
const dir = mkdtempSync(join(tmpdir(), 'evdm-l-check-'));
try {
  writeFileSync(join(dir, 'check.bin'), Buffer.concat(chunks));
  writeFileSync(join(dir, 'check.json'), JSON.stringify(meta));
  const r = spawnSync('/usr/bin/python3', [join(here, 'evdm_l_torch.py'), '--check', dir], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exitCode = 1;
  }
} finally {
  if (process.argv.includes('--keep')) process.stderr.write(`files kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
