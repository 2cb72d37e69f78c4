// Writes videos in MCVD's HDF5 layout (frames gzip-compressed: h5wasm cannot write lzf, and
// readers decode both). Used by tests to build fixtures and by conversion tools.
import { openH5Write, writeFrame, writeIntScalar, type FrameCompression } from './h5io';
import type { Clip } from './types';

/** One video to store, with optional per-video labels (`person`, `target`). */
export interface ShardVideo {
  clip: Clip;
  labels?: Record<string, number>;
}

/** Writes one shard file; `rootScalars` go to the file root (UCF's `num_train`, `num_test`). */
export async function writeVideoShard(
  path: string,
  videos: ShardVideo[],
  rootScalars: Record<string, number> = {},
  compression: FrameCompression = 'gzip',
): Promise<void> {
  const f = await openH5Write(path);
  try {
    f.create_group('len');
    const labelGroups = new Set(videos.flatMap((v) => Object.keys(v.labels ?? {})));
    for (const g of labelGroups) f.create_group(g);
    videos.forEach(({ clip, labels }, i) => {
      writeIntScalar(f, `len/${i}`, clip.t);
      for (const [g, v] of Object.entries(labels ?? {})) writeIntScalar(f, `${g}/${i}`, v);
      f.create_group(String(i));
      const n = clip.h * clip.w * clip.c;
      for (let j = 0; j < clip.t; j++) {
        writeFrame(f, `${i}/${j}`, clip.frames.slice(j * n, (j + 1) * n) /* h5wasm ignores byteOffset: copy */, clip.h, clip.w, clip.c, compression);
      }
    });
    for (const [k, v] of Object.entries(rootScalars)) writeIntScalar(f, k, v);
  } finally {
    f.close();
  }
}
