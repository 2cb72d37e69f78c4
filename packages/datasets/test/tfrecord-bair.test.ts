import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { convertBair } from '../src/convert-bair';
import { DatasetError } from '../src/errors';
import { openDataset } from '../src/open-dataset';
import { crc32c, encodeExampleBytes, readTfRecords, writeTfRecords } from '../src/tfrecord';
import { patternClip, pix, tmp } from './fixtures';

it('crc32c matches the published check value', () => {
  // CRC-32C("123456789") = 0xE3069283 (RFC 3720 / iSCSI check value)
  expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
});

it('TFRecord round trip; corrupt CRC and truncation are reported', () => {
  const recs = [new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7)];
  const file = writeTfRecords(recs);
  expect(readTfRecords(file, 'f').map((r) => Array.from(r))).toEqual(recs.map((r) => Array.from(r)));
  const bad = file.slice();
  bad[14] ^= 1;
  expect(() => readTfRecords(bad, 'x.tfrecords')).toThrow(/x.tfrecords: bad data CRC in record 0/);
  expect(() => readTfRecords(file.subarray(0, file.length - 5), 'y')).toThrow(DatasetError);
});

it('BAIR TFRecords -> HDF5 -> reader gives back the frames', async () => {
  const dir = tmp();
  for (const [split, vids] of [
    ['train', [0, 1]],
    ['test', [2]],
  ] as const) {
    mkdirSync(join(dir, 'raw', split), { recursive: true });
    const recs = vids.map((v) => {
      const c = patternClip(v, 30, 64, 64, 3);
      const feats: Record<string, Uint8Array> = {};
      for (let t = 0; t < 30; t++) feats[`${t}/image_aux1/encoded`] = c.frames.slice(t * 12288, (t + 1) * 12288);
      return encodeExampleBytes(feats);
    });
    writeFileSync(join(dir, 'raw', split, 'traj_0_to_255.tfrecords'), writeTfRecords(recs));
  }
  expect(await convertBair({ input: join(dir, 'raw'), output: join(dir, 'BAIR_h5') })).toEqual({ train: 2, test: 1 });
  const ds = await openDataset({ name: 'bair', path: join(dir, 'BAIR_h5') });
  const c = await ds.clip(0, 'test', { frames: 30 });
  for (const [t, y, x, k] of [
    [0, 0, 0, 0],
    [29, 63, 5, 2],
    [17, 30, 40, 1],
  ])
    expect(c.frames[((t * 64 + y) * 64 + x) * 3 + k]).toBe(pix(2, t, y, x, k));
  ds.close();
});
