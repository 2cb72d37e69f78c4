import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/errors';
import { openDataset } from '../src/open-dataset';
import { openSmmnist } from '../src/smmnist';
import { createClipLoader } from '../src/loader';
import { writeVideoShard } from '../src/write-shard';
import { makeKth, patternClip, tmp } from './fixtures';

const LZF = new URL('./fixtures/kth-lzf/shard_0001.hdf5', import.meta.url).pathname;

async function fails(p: Promise<unknown> | (() => unknown), ...parts: (string | RegExp)[]) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DatasetError);
  for (const part of parts) expect((err as Error).message).toMatch(part);
}

describe('bad input gives one clear DatasetError naming the file and problem', () => {
  it('unknown dataset name', () => fails(openDataset({ name: 'cifar' } as never), 'unknown dataset "cifar"'));
  it('missing path argument', () => fails(openDataset({ name: 'kth' } as never), 'kth path', 'missing'));
  it('path that does not exist', () =>
    fails(openDataset({ name: 'kth', path: '/nope/KTH64_h5' }), '/nope/KTH64_h5', 'does not exist'));
  it('directory without shards', () => {
    const d = tmp();
    return fails(openDataset({ name: 'kth', path: d }), d, 'no *.hdf5');
  });
  it('empty (0-byte) shard', () => {
    const d = tmp();
    writeFileSync(join(d, 'shard_0001.hdf5'), '');
    return fails(openDataset({ name: 'kth', path: d }), 'shard_0001.hdf5', 'empty');
  });
  it('shard with no videos', async () => {
    const d = tmp();
    await writeVideoShard(join(d, 'shard_0001.hdf5'), []);
    await fails(openDataset({ name: 'kth', path: d }), 'shard_0001.hdf5', 'empty shard');
  });
  it('corrupt file (not HDF5)', () => {
    const d = tmp();
    writeFileSync(join(d, 'shard_0001.hdf5'), 'this is not hdf5 at all');
    return fails(openDataset({ name: 'kth', path: d }), 'shard_0001.hdf5', 'not an HDF5 file');
  });
  it('truncated HDF5 file', () => {
    const d = tmp();
    const bytes = readFileSync(LZF);
    writeFileSync(join(d, 'shard_0001.hdf5'), bytes.subarray(0, Math.floor(bytes.length / 3)));
    return fails(openDataset({ name: 'kth', path: d }), 'shard_0001.hdf5', /truncated|corrupt/);
  });
  it('video shorter than the window', async () => {
    const ds = await openDataset({ name: 'kth', path: await makeKth() });
    await fails(ds.clip(0, 'train', { frames: 13 }), 'shard_0001.hdf5', 'has 12 frames, shorter than the window of 13');
    ds.close();
  });
  it('wrong frame size', async () => {
    const d = tmp();
    await writeVideoShard(join(d, 'shard_0001.hdf5'), [{ clip: patternClip(0, 3, 32, 32, 1), labels: { person: 1 } }]);
    const ds = await openDataset({ name: 'kth', path: d });
    await fails(ds.clip(0, 'train', { frames: 2 }), 'shard_0001.hdf5', 'shape [32, 32], expected [64, 64]');
  });
  it('wrong channel count', async () => {
    const d = tmp();
    mkdirSync(join(d, 'train'));
    await writeVideoShard(join(d, 'train', 'a.hdf5'), [{ clip: patternClip(0, 3, 64, 64, 1) }]);
    await writeVideoShard(join(d, 'test', 'a.hdf5'), [{ clip: patternClip(0, 3, 64, 64, 4) }]);
    const ds = await openDataset({ name: 'bair', path: d });
    await fails(ds.clip(0, 'train', { frames: 2 }), join(d, 'train', 'a.hdf5'), 'expected [64, 64, 3]');
    await fails(ds.clip(0, 'test', { frames: 2 }), 'wrong channel count 4, expected 3');
  });
  it('BAIR folder without test/', async () => {
    const d = tmp();
    await writeVideoShard(join(d, 'train', 'a.hdf5'), [{ clip: patternClip(0, 3, 64, 64, 3) }]);
    await fails(openDataset({ name: 'bair', path: d }), join(d, 'test'), 'does not exist');
  });
  it('UCF file without num_train', async () => {
    const d = tmp();
    await writeVideoShard(join(d, 'UCF101_64.hdf5'), [{ clip: patternClip(0, 3, 64, 85, 3) }]);
    await fails(
      openDataset({ name: 'ucf101', path: join(d, 'UCF101_64.hdf5') }),
      'UCF101_64.hdf5',
      'missing dataset "num_train"',
    );
  });
  it('missing, truncated and wrong MNIST IDX files', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]));
    writeFileSync(join(d, 'short'), Buffer.from([0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2]));
    await fails(() => openSmmnist({ trainImages: join(d, 'none'), testImages: join(d, 'none') }), 'none', 'does not exist');
    await fails(() => openSmmnist({ trainImages: join(d, 'bad'), testImages: join(d, 'bad') }), 'bad', 'magic 0x00000801');
    await fails(() => openSmmnist({ trainImages: join(d, 'short'), testImages: join(d, 'short') }), 'short', 'truncated');
  });
  it('bad loader and clip arguments', async () => {
    const ds = openSmmnist();
    await fails(() => createClipLoader({ dataset: ds, current: 0 }), 'current', '>= 1');
    await fails(() => createClipLoader({ dataset: ds, current: 1, split: 'val' as never }), 'split');
    await fails(ds.clip(256, 'test'), 'smmnist test index', 'out of range');
  });
});
