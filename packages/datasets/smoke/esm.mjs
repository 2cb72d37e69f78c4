// Smoke test of the built ESM entry: SM-MNIST clip -> loader tensors, and an HDF5 round trip.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClipLoader, openDataset, writeVideoShard } from '@evdm/datasets';

await tf.setBackend('cpu');
const mm = await openDataset({ name: 'smmnist', trainLength: 4 });
for await (const b of createClipLoader({
  dataset: mm,
  past: 2,
  current: 3,
  batchSize: 2,
  seed: 1,
  prefetch: 2,
  prefetchIn: 'worker',
})) {
  if (b.current.shape.join() !== '2,64,64,3' || b.past.shape.join() !== '2,64,64,2') throw new Error('bad shapes');
  const v = b.current.dataSync();
  if (Math.max(...v) > 1 || Math.min(...v) < -1) throw new Error('values outside [-1, 1]');
  tf.dispose([b.past, b.current]);
}
const dir = mkdtempSync(join(tmpdir(), 'evdm-smoke-'));
const frames = new Uint8Array(4 * 64 * 64).map((_, i) => i % 200);
await writeVideoShard(join(dir, 'shard_0001.hdf5'), [{ clip: { frames, t: 4, h: 64, w: 64, c: 1 }, labels: { person: 1 } }]);
const kth = await openDataset({ name: 'kth', path: dir });
const c = await kth.clip(0, 'train', { frames: 4 });
if (c.frames[4096 * 3 + 77] !== (4096 * 3 + 77) % 200) throw new Error('HDF5 round trip mismatch');
kth.close();
console.log('datasets esm smoke ok');
