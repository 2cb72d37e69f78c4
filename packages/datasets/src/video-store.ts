// MCVD's HDF5 video container (datasets/h5.py): a directory of sorted *.hdf5/*.h5 shards or one
// file; each shard has `len/<i>` (frames of video i) and `<i>/<j>` (frame j). Files are opened once
// and frames are read on demand, so a dataset is never loaded into memory as a whole.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from './errors';
import { groupKeys, openH5Read, readFrame, readIntScalar, type H5File } from './h5io';

interface Shard {
  path: string;
  file: H5File;
  count: number;
}

/** Random access to the videos of one MCVD-layout HDF5 container. */
export class VideoStore {
  private readonly shards: Shard[];
  private readonly starts: number[];
  private readonly lengths = new Map<number, number>();
  /** Total number of videos over all shards. */
  readonly count: number;

  private constructor(shards: Shard[]) {
    this.shards = shards;
    this.starts = [];
    let n = 0;
    for (const s of shards) {
      this.starts.push(n);
      n += s.count;
    }
    this.count = n;
  }

  /** Opens a shard directory or a single HDF5 file. */
  static async open(path: string): Promise<VideoStore> {
    const files = listShards(path);
    const shards: Shard[] = [];
    try {
      for (const p of files) {
        const file = await openH5Read(p);
        const count = groupKeys(file, p, 'len').length;
        shards.push({ path: p, file, count });
        if (count === 0) throw new DatasetError(p, 'empty shard: group "len" lists no videos');
      }
    } catch (e) {
      for (const s of shards) s.file.close();
      throw e;
    }
    return new VideoStore(shards);
  }

  /** Maps a global video index to its shard and local index. */
  locate(video: number): { shard: Shard; local: number } {
    if (!Number.isInteger(video) || video < 0 || video >= this.count) {
      throw new DatasetError('video index', `${video} is out of range [0, ${this.count})`);
    }
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= video) lo = mid;
      else hi = mid - 1;
    }
    return { shard: this.shards[lo], local: video - this.starts[lo] };
  }

  /** Number of frames of a video (`len/<i>`). */
  length(video: number): number {
    let n = this.lengths.get(video);
    if (n === undefined) {
      const { shard, local } = this.locate(video);
      n = readIntScalar(shard.file, shard.path, `len/${local}`);
      this.lengths.set(video, n);
    }
    return n;
  }

  /** An integer stored per video in a side group such as `person/<i>` or `target/<i>`. */
  label(group: string, video: number): number {
    const { shard, local } = this.locate(video);
    return readIntScalar(shard.file, shard.path, `${group}/${local}`);
  }

  /** A scalar stored at the root of the first shard (UCF's `num_train`, `num_test`). */
  rootScalar(name: string): number {
    return readIntScalar(this.shards[0].file, this.shards[0].path, name);
  }

  /** Frame `j` of video `video`, checked to be uint8 `h x w x c`. */
  frame(video: number, j: number, h: number, w: number, c: number): Uint8Array {
    const { shard, local } = this.locate(video);
    return readFrame(shard.file, shard.path, `${local}/${j}`, h, w, c);
  }

  /** File that holds a video (for error messages). */
  fileOf(video: number): string {
    return this.locate(video).shard.path;
  }

  close(): void {
    for (const s of this.shards) s.file.close();
  }
}

/** Resolves a path to its sorted list of shard files, with clear errors. */
export function listShards(path: string): string[] {
  if (!existsSync(path)) throw new DatasetError(path, 'path does not exist');
  if (statSync(path).isFile()) return [path];
  const files = readdirSync(path)
    .filter((f) => /\.(hdf5|h5)$/i.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new DatasetError(path, 'directory contains no *.hdf5 or *.h5 shards');
  return files;
}
