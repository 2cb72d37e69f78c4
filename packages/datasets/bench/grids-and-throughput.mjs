// Writes docs/*.png grids (SM-MNIST generated; KTH/BAIR/UCF from small fixtures written with the
// package's own writer) and measures loader throughput (clips/s) with prefetch off, in the main
// thread, and in a worker thread, for a consumer that does ~80 ms of synchronous work per batch then
// awaits (like a trainer awaiting loss.data()).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClipLoader, openDataset, writeClipGridPng, writeVideoShard } from '@evdm/datasets';

await tf.setBackend('cpu');
const docs = new URL('../docs/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'evdm-bench-'));
// Moving gradient bars so fixture clips show motion and flips.
const synth = (v, t, h, w, c) => {
  const f = new Uint8Array(t * h * w * c);
  for (let j = 0; j < t; j++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          f[((j * h + y) * w + x) * c + k] =
            ((x + 3 * j + 7 * v) % 24 < 8 ? 230 : 30) * (k === v % c || c === 1 ? 1 : 0.4) + (y % 16 === 0 ? 25 : 0);
  return { frames: f, t, h, w, c };
};
await writeVideoShard(
  join(tmp, 'kth', 'shard_0001.hdf5'),
  [1, 2, 21, 22].map((p, v) => ({ clip: synth(v, 40, 64, 64, 1), labels: { person: p, target: v } })),
);
for (const s of ['train', 'test'])
  await writeVideoShard(
    join(tmp, 'bair', s, 'traj.hdf5'),
    [0, 1, 2].map((v) => ({ clip: synth(v, 30, 64, 64, 3) })),
  );
await writeVideoShard(
  join(tmp, 'UCF101_64.hdf5'),
  Array.from({ length: 23 }, (_, v) => ({ clip: synth(v, 20, 64, 85, 3), labels: { target: v } })),
  { num_train: 3, num_test: 20 },
);

const sets = {
  smmnist: await openDataset({ name: 'smmnist' }),
  kth: await openDataset({ name: 'kth', path: join(tmp, 'kth') }),
  bair: await openDataset({ name: 'bair', path: join(tmp, 'bair') }),
  ucf101: await openDataset({ name: 'ucf101', path: join(tmp, 'UCF101_64.hdf5') }),
};
for (const [name, ds] of Object.entries(sets)) {
  const clips = [];
  for (let i = 0; i < 3; i++) clips.push(await ds.clip(i % ds.length('train'), 'train', { frames: 10, flip: true, seed: i }));
  writeClipGridPng(join(docs, `grid-${name}.png`), clips);
}

const busy = (ms) => {
  const t = performance.now();
  while (performance.now() - t < ms) {
    /* spin: a busy consumer */
  }
};
for (const name of ['smmnist', 'kth']) {
  const ds = sets[name];
  for (const [prefetch, prefetchIn] of [
    [0, 'main'],
    [2, 'main'],
    [2, 'worker'],
    [0, 'main'],
    [2, 'main'],
    [2, 'worker'],
  ]) {
    let n = 0;
    const it = createClipLoader({
      dataset: ds,
      split: 'train',
      past: 5,
      current: 10,
      batchSize: 4,
      seed: 1,
      prefetch,
      prefetchIn,
      epochs: Infinity,
    });
    let t0 = 0;
    let waited = 0;
    const iter = it[Symbol.asyncIterator]();
    for (;;) {
      const w0 = performance.now();
      const r = await iter.next();
      if (t0 !== 0) waited += performance.now() - w0; // time the consumer spends waiting for data
      if (r.done) break;
      const b = r.value;
      busy(80);
      await new Promise((r) => setTimeout(r, 10)); // trainer awaiting async tensor reads
      tf.dispose([b.past, b.current]);
      if (t0 === 0)
        t0 = performance.now(); // steady state: start after the first batch (worker start-up)
      else n += b.clips.length;
      if (n >= 160) break;
    }
    await iter.return?.();
    const s = (performance.now() - t0) / 1000;
    const mode = prefetch === 0 ? 'off' : `${prefetch} in ${prefetchIn} thread`;
    console.log(
      `${name} prefetch ${mode}: ${(n / s).toFixed(1)} clips/s, consumer waits ${(waited / (n / 4)).toFixed(1)} ms per batch (${n} clips, batch 4, 15 frames)`,
    );
  }
}
for (const ds of Object.values(sets)) ds.close();
