// Video decoding through the ffmpeg command line (Debian package `ffmpeg`), used by the KTH and
// UCF-101 converters: frames come back as raw gray or RGB bytes at the requested size.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DatasetError } from './errors';
import type { Clip } from './types';

/** Checks that ffmpeg runs; throws a DatasetError saying how to install it otherwise. */
export function requireFfmpeg(ffmpeg = 'ffmpeg'): void {
  const r = spawnSync(ffmpeg, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new DatasetError(ffmpeg, 'ffmpeg is not available; install it with: apt-get install ffmpeg');
  }
}

/** True when ffmpeg can be run. */
export function hasFfmpeg(ffmpeg = 'ffmpeg'): boolean {
  const r = spawnSync(ffmpeg, ['-version']);
  return !r.error && r.status === 0;
}

/**
 * Decodes every frame of a video, resized to `width x height` with the given scaler
 * (`bilinear` for KTH as cv2.resize, `lanczos` for UCF as PIL LANCZOS).
 */
export function decodeVideo(
  path: string,
  opts: { width: number; height: number; channels: 1 | 3; scaler: string; ffmpeg?: string },
): Clip {
  if (!existsSync(path)) throw new DatasetError(path, 'video file does not exist');
  const { width: w, height: h, channels: c } = opts;
  const r = spawnSync(
    opts.ffmpeg ?? 'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      path,
      '-vf',
      `scale=${w}:${h}:flags=${opts.scaler}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      c === 1 ? 'gray' : 'rgb24',
      '-',
    ],
    { maxBuffer: 1 << 30 },
  );
  if (r.error)
    throw new DatasetError(
      opts.ffmpeg ?? 'ffmpeg',
      `cannot run ffmpeg (${r.error.message}); install it with: apt-get install ffmpeg`,
    );
  const frameBytes = w * h * c;
  if (r.status !== 0)
    throw new DatasetError(path, `ffmpeg could not decode the video: ${String(r.stderr).trim().split('\n').pop()}`);
  const out = r.stdout as Buffer;
  if (out.length === 0 || out.length % frameBytes !== 0)
    throw new DatasetError(path, `decoded ${out.length} bytes, not a whole number of ${w}x${h}x${c} frames`);
  return { frames: new Uint8Array(out.buffer, out.byteOffset, out.length).slice(), t: out.length / frameBytes, h, w, c };
}
