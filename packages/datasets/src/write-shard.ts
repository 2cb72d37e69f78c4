// Writes videos in MCVD's HDF5 layout (frames gzip-compressed: h5wasm cannot write lzf, and
// readers decode both). Used by tests to build fixtures and by conversion tools.
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openH5Write, writeFrame, writeIntScalar, type FrameCompression, type H5File } from './h5io';
import type { Clip } from './types';

/** One video to store, with optional per-video labels (`person`, `target`). */
export interface ShardVideo {
  clip: Clip;
  labels?: Record<string, number>;
}

/** The temporary name a shard is written under until it is complete (same directory, so rename is atomic). */
export function shardTempPath(path: string, pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.tmp-${pid}`);
}

/**
 * Writes videos one at a time, so converters never hold a whole dataset in memory. The file is
 * written under a temporary name and renamed to `path` by `close()`; `abort()` (a failed video)
 * removes it, so a partial shard never sits under a name a reader would open.
 */
export class ShardWriter {
  private count = 0;
  private readonly groups = new Set<string>();
  private done = false;
  private constructor(
    private readonly f: H5File,
    private readonly compression: FrameCompression,
    readonly path: string,
    readonly tempPath: string,
  ) {
    f.create_group('len');
  }

  static async create(path: string, compression: FrameCompression = 'gzip'): Promise<ShardWriter> {
    const tmp = shardTempPath(path);
    rmSync(tmp, { force: true });
    return new ShardWriter(await openH5Write(tmp), compression, path, tmp);
  }

  /** Appends video `count` with its labels; returns its index. */
  add({ clip, labels }: ShardVideo): number {
    const i = this.count++;
    const f = this.f;
    writeIntScalar(f, `len/${i}`, clip.t);
    for (const [g, v] of Object.entries(labels ?? {})) {
      if (!this.groups.has(g)) {
        f.create_group(g);
        this.groups.add(g);
      }
      writeIntScalar(f, `${g}/${i}`, v);
    }
    f.create_group(String(i));
    const n = clip.h * clip.w * clip.c;
    for (let j = 0; j < clip.t; j++) {
      // h5wasm ignores a typed array's byteOffset: pass a copy
      writeFrame(f, `${i}/${j}`, clip.frames.slice(j * n, (j + 1) * n), clip.h, clip.w, clip.c, this.compression);
    }
    return i;
  }

  /** Writes root scalars (UCF's num_train/num_test), closes the file and renames it into place. */
  close(rootScalars: Record<string, number> = {}): void {
    if (this.done) return;
    this.done = true;
    try {
      for (const [k, v] of Object.entries(rootScalars)) writeIntScalar(this.f, k, v);
      this.f.close();
    } catch (e) {
      rmSync(this.tempPath, { force: true });
      throw e;
    }
    renameSync(this.tempPath, this.path);
  }

  /** Closes and deletes the unfinished file (nothing appears under the final name). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      this.f.close();
    } catch {
      // the file is removed below either way
    }
    rmSync(this.tempPath, { force: true });
  }
}

/** Runs `fill` on a new shard: renamed into place when it returns, removed when it throws. */
export async function withShard<R>(
  path: string,
  fill: (w: ShardWriter) => R | Promise<R>,
  rootScalars: () => Record<string, number> = () => ({}),
  compression: FrameCompression = 'gzip',
): Promise<R> {
  const w = await ShardWriter.create(path, compression);
  let r: R;
  try {
    r = await fill(w);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close(rootScalars());
  return r;
}

/** Writes one shard file; `rootScalars` go to the file root (UCF's `num_train`, `num_test`). */
export async function writeVideoShard(
  path: string,
  videos: ShardVideo[],
  rootScalars: Record<string, number> = {},
  compression: FrameCompression = 'gzip',
): Promise<void> {
  await withShard(
    path,
    (w) => {
      for (const v of videos) w.add(v);
    },
    () => rootScalars,
    compression,
  );
}
