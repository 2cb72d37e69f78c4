// KTH and UCF-101 .avi -> MCVD HDF5 layout, decoding with ffmpeg one video at a time.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatasetError } from './errors';
import { decodeVideo, requireFfmpeg } from './ffmpeg';
import { withShard } from './write-shard';

/** KTH action classes in MCVD's target order. */
export const KTH_CLASSES = ['boxing', 'handclapping', 'handwaving', 'jogging', 'running', 'walking'] as const;

/** Options for {@link convertKth}. */
export interface ConvertKthOptions {
  /** Directory with `personXX_<action>_dY_uncomp.avi` files (searched recursively one level). */
  input: string;
  /** Output directory (gets `shard_0001.hdf5`). */
  output: string;
  ffmpeg?: string;
}

function listAvi(dir: string): string[] {
  if (!existsSync(dir)) throw new DatasetError(dir, 'input directory does not exist');
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) for (const f of readdirSync(join(dir, e.name))) if (f.endsWith('.avi')) out.push(join(dir, e.name, f));
    if (e.isFile() && e.name.endsWith('.avi')) out.push(join(dir, e.name));
  }
  return out.sort();
}

/** KTH: 64x64 grayscale (bilinear resize of the 160x120 frames, aspect not kept), person/target groups. */
export async function convertKth(options: ConvertKthOptions): Promise<number> {
  requireFfmpeg(options.ffmpeg);
  const files = listAvi(options.input);
  if (files.length === 0) throw new DatasetError(options.input, 'contains no .avi files');
  await withShard(join(options.output, 'shard_0001.hdf5'), (w) => {
    for (const f of files) {
      const m = /^person(\d+)_([a-z]+)_d\d+/.exec(basename(f));
      const target = m ? KTH_CLASSES.indexOf(m[2] as (typeof KTH_CLASSES)[number]) : -1;
      if (!m || target < 0) throw new DatasetError(f, 'file name is not personXX_<action>_dY_uncomp.avi with a KTH action');
      w.add({
        clip: decodeVideo(f, { width: 64, height: 64, channels: 1, scaler: 'bilinear', ffmpeg: options.ffmpeg }),
        labels: { person: Number(m[1]), target },
      });
    }
  });
  return files.length;
}

/** Options for {@link convertUcf101}. */
export interface ConvertUcf101Options {
  /** `UCF-101` directory with one folder per class. */
  input: string;
  /** `ucfTrainTestlist` directory (classInd.txt, trainlist0X.txt, testlist0X.txt). */
  splits: string;
  /** Official split 1, 2 or 3 (MCVD default 3). */
  splitIndex?: 1 | 2 | 3;
  /** Output file (`UCF101_64.hdf5`). */
  output: string;
  ffmpeg?: string;
}

function checkedPath(path: string): string {
  if (!existsSync(path)) throw new DatasetError(path, 'file does not exist');
  return path;
}

function readList(path: string): string[] {
  if (!existsSync(path)) throw new DatasetError(path, 'split list does not exist');
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** UCF-101: 64x85 RGB (LANCZOS), train list first then test list, `num_train`/`num_test`, `target`. */
export async function convertUcf101(options: ConvertUcf101Options): Promise<{ train: number; test: number }> {
  requireFfmpeg(options.ffmpeg);
  const k = options.splitIndex ?? 3;
  const classes = new Map(
    readFileSync(checkedPath(join(options.splits, 'classInd.txt')), 'utf8')
      .split(/\r?\n/)
      .filter(Boolean)
      .map((l) => {
        const [id, name] = l.trim().split(/\s+/);
        return [name, Number(id) - 1] as const;
      }),
  );
  const train = readList(join(options.splits, `trainlist0${k}.txt`));
  const test = readList(join(options.splits, `testlist0${k}.txt`));
  await withShard(
    options.output,
    (w) => {
      for (const rel of [...train, ...test]) {
        const cls = classes.get(rel.split('/')[0]);
        if (cls === undefined) throw new DatasetError(rel, 'class folder not listed in classInd.txt');
        const clip = decodeVideo(join(options.input, rel), {
          width: 85,
          height: 64,
          channels: 3,
          scaler: 'lanczos',
          ffmpeg: options.ffmpeg,
        });
        w.add({ clip, labels: { target: cls } });
      }
    },
    () => ({ num_train: train.length, num_test: test.length }),
  );
  return { train: train.length, test: test.length };
}
