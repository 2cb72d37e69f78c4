// BAIR softmotion30_44k TFRecords -> MCVD's BAIR_h5 layout: every example becomes one 30-frame video
// of 64x64x3 RGB from the raw bytes of `<t>/image_aux1/encoded`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatasetError } from './errors';
import { parseExampleBytes, readTfRecords } from './tfrecord';
import { writeVideoShard } from './write-shard';

/** Options for {@link convertBair}. */
export interface ConvertBairOptions {
  /** `softmotion30_44k` directory with `train/` and `test/` TFRecord folders. */
  input: string;
  /** Output `BAIR_h5` directory (gets `train/` and `test/`). */
  output: string;
  /** Frames per video (30). */
  frames?: number;
}

/** Converts every `*.tfrecords` file into one HDF5 shard of the same name. Returns video counts. */
export async function convertBair(options: ConvertBairOptions): Promise<{ train: number; test: number }> {
  const frames = options.frames ?? 30;
  const counts = { train: 0, test: 0 };
  for (const split of ['train', 'test'] as const) {
    const dir = join(options.input, split);
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((f) => f.endsWith('.tfrecords') || f.endsWith('.tfrecord'))
        .sort();
    } catch {
      throw new DatasetError(dir, 'TFRecord folder does not exist');
    }
    if (files.length === 0) throw new DatasetError(dir, 'contains no *.tfrecords files');
    for (const f of files) {
      const path = join(dir, f);
      if (!statSync(path).isFile()) continue;
      const videos = readTfRecords(readFileSync(path), path).map((rec, r) => {
        const feats = parseExampleBytes(rec, path);
        const px = new Uint8Array(frames * 64 * 64 * 3);
        for (let t = 0; t < frames; t++) {
          const img = feats.get(`${t}/image_aux1/encoded`);
          if (!img) throw new DatasetError(path, `record ${r} has no feature "${t}/image_aux1/encoded"`);
          if (img.length !== 64 * 64 * 3)
            throw new DatasetError(path, `record ${r} frame ${t} has ${img.length} bytes, expected 64*64*3 = 12288`);
          px.set(img, t * 64 * 64 * 3);
        }
        return { clip: { frames: px, t: frames, h: 64, w: 64, c: 3 } };
      });
      await writeVideoShard(join(options.output, split, basename(f).replace(/\.tfrecords?$/, '.hdf5')), videos);
      counts[split] += videos.length;
    }
  }
  return counts;
}
