// Prefetch in a worker thread: same batches as the main thread, errors re-thrown with the file
// named, no hanging process. Needs the built worker (dist/loader-worker.js): `pnpm build` first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from '../../../test-utils/tf';
import { DatasetError } from '../src/errors';
import { createClipLoader, type ClipLoaderOptions } from '../src/loader';
import { openDataset } from '../src/open-dataset';
import { openSmmnist } from '../src/smmnist';
import { loaderWorkerPath } from '../src/worker-prefetch';
import { makeKth, tmp } from './fixtures';

beforeAll(useCpu);

async function collect(opts: ClipLoaderOptions, limit = Infinity): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of createClipLoader(opts)) {
    out.push(Array.from(b.current.dataSync()), Array.from(b.past?.dataSync() ?? []));
    tf.dispose([b.past, b.current, b.future].filter((t): t is tf.Tensor4D => t !== null));
    if (out.length / 2 >= limit) break;
  }
  return out;
}

describe('prefetch worker', () => {
  it('the built worker script exists', () => {
    expect(loaderWorkerPath()).toMatch(/loader-worker\.js$/);
  });

  it('KTH (HDF5): worker, main-thread and no prefetch give identical batches for a seed', async () => {
    const ds = await openDataset({ name: 'kth', path: await makeKth() });
    const base: ClipLoaderOptions = { dataset: ds, split: 'train', past: 2, current: 3, batchSize: 1, seed: 5, epochs: 3 };
    const before = tf.memory().numTensors;
    const none = await collect({ ...base, prefetch: 0 });
    const main = await collect({ ...base, prefetch: 2, prefetchIn: 'main' });
    const worker = await collect({ ...base, prefetch: 2, prefetchIn: 'worker' });
    expect(none.length).toBe(2 * 2 * 3); // 2 training videos (persons 1, 2) x 3 epochs
    expect(main).toEqual(none);
    expect(worker).toEqual(none);
    expect(tf.memory().numTensors).toBe(before);
    ds.close();
  });

  it('SM-MNIST: worker batches equal main-thread batches, also when stopped early', async () => {
    const ds = await openDataset({ name: 'smmnist', trainLength: 12 });
    const base: ClipLoaderOptions = { dataset: ds, past: 1, current: 2, batchSize: 4, seed: 3 };
    expect(await collect({ ...base, prefetch: 3, prefetchIn: 'worker' })).toEqual(await collect({ ...base, prefetch: 0 }));
    expect(await collect({ ...base, prefetch: 3, prefetchIn: 'worker', epochs: Infinity }, 2)).toEqual(
      await collect({ ...base, prefetch: 0 }, 2),
    );
  });

  it('an error inside the worker is re-thrown with the file and problem named', async () => {
    const dir = tmp();
    const src = await makeKth();
    for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
    const ds = await openDataset({ name: 'kth', path: dir });
    writeFileSync(join(dir, 'shard_0001.hdf5'), Buffer.from('not an hdf5 file at all')); // broken after opening
    const it = createClipLoader({ dataset: ds, current: 2, prefetch: 2, prefetchIn: 'worker' })[Symbol.asyncIterator]();
    const err = await it.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/shard_0001\.hdf5/);
    ds.close();
  });

  it('"worker" with a dataset that was not opened by openDataset is a clear error', () => {
    const ds = openSmmnist({ trainLength: 4 });
    expect(() => createClipLoader({ dataset: ds, current: 1, prefetch: 1, prefetchIn: 'worker' })).toThrow(
      /needs a dataset opened with openDataset/,
    );
    expect(() => createClipLoader({ dataset: ds, current: 1, prefetchIn: 'thread' as never })).toThrow(
      /prefetchIn.*"auto", "worker" or "main"/,
    );
  });

  it('a script that stops reading exits promptly (the worker never keeps the process alive)', () => {
    const dist = new URL('../dist/index.js', import.meta.url).pathname;
    const script = `
      import '@tensorflow/tfjs-backend-cpu';
      import { openDataset, createClipLoader } from ${JSON.stringify(dist)};
      const ds = await openDataset({ name: 'smmnist', trainLength: 64 });
      const it = createClipLoader({ dataset: ds, current: 1, batchSize: 2, prefetch: 2, prefetchIn: 'worker', epochs: Infinity })[Symbol.asyncIterator]();
      await it.next(); await it.next();
      console.log('read 2');`; // no return(): the process must still exit
    // inside the package so that bare imports resolve
    const file = new URL(`../.stop-early-${process.pid}.mjs`, import.meta.url).pathname;
    writeFileSync(file, script);
    let r;
    try {
      r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    } finally {
      rmSync(file, { force: true });
    }
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toMatch(/read 2/);
    expect(r.status).toBe(0);
  });
});
