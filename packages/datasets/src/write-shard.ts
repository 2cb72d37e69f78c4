// Writes videos in MCVD's HDF5 layout (frames gzip-compressed: h5wasm cannot write lzf, and
// readers decode both). Used by tests to build fixtures and by conversion tools.
import { openH5Write, writeFrame, writeIntScalar, type FrameCompression, type H5File } from './h5io';
import type { Clip } from './types';

/** One video to store, with optional per-video labels (`person`, `target`). */
export interface ShardVideo {
  clip: Clip;
  labels?: Record<string, number>;
}

/** Writes videos one at a time, so converters never hold a whole dataset in memory. */
export class ShardWriter {
  private count = 0;
  private readonly groups = new Set<string>();
  private constructor(private readonly f: H5File, private readonly compression: FrameCompression) {
    f.create_group('len');
  }

  static async create(path: string, compression: FrameCompression = 'gzip'): Promise<ShardWriter> {
    return new ShardWriter(await openH5Write(path), compression);
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

  /** Writes root scalars (UCF's num_train/num_test) and closes the file. */
  close(rootScalars: Record<string, number> = {}): void {
    try {
      for (const [k, v] of Object.entries(rootScalars)) writeIntScalar(this.f, k, v);
    } finally {
      this.f.close();
    }
  }
}

/** Writes one shard file; `rootScalars` go to the file root (UCF's `num_train`, `num_test`). */
export async function writeVideoShard(
  path: string,
  videos: ShardVideo[],
  rootScalars: Record<string, number> = {},
  compression: FrameCompression = 'gzip',
): Promise<void> {
  const w = await ShardWriter.create(path, compression);
  try {
    for (const v of videos) w.add(v);
  } finally {
    w.close(rootScalars);
  }
}
