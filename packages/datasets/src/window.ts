// Cutting a training/test window out of a stored video: MCVD's start-index rule, the optional
// horizontal crop (UCF's 85-pixel-wide frames) and the whole-clip horizontal flip.
import type { Rng } from '@evdm/core';
import { DatasetError } from './errors';
import type { Clip } from './types';
import type { VideoStore } from './video-store';

/** Geometry of stored frames and of the delivered clip. */
export interface FrameGeometry {
  storedHeight: number;
  storedWidth: number;
  channels: number;
  /** Width delivered after cropping (== storedWidth when no crop). */
  width: number;
}

/**
 * MCVD draws the start uniformly from [0, len - window) (numpy `choice(len - window)`: the last
 * possible start is never drawn). When len == window only start 0 exists; MCVD would fail there,
 * we return start 0 instead.
 */
export function drawStart(len: number, window: number, rng: Rng): number {
  return len > window ? rng.int(0, len - window - 1) : 0;
}

/** Reads `window` frames of `video`, cropped at `cropX` and optionally flipped left-right. */
export function readWindow(
  store: VideoStore,
  video: number,
  window: number | undefined,
  geom: FrameGeometry,
  rng: Rng,
  cropX: (rng: Rng) => number,
  flip: boolean,
): Clip {
  const len = store.length(video);
  const t = window ?? len;
  if (!Number.isInteger(t) || t < 1) throw new DatasetError('frames', `window must be a positive integer, got ${window}`);
  if (len < t) {
    throw new DatasetError(store.fileOf(video), `video ${video} has ${len} frames, shorter than the window of ${t} frames`);
  }
  const start = drawStart(len, t, rng);
  const x0 = cropX(rng);
  const doFlip = flip && rng.uniform() < 0.5;
  const { storedHeight: h, storedWidth: sw, channels: c, width: w } = geom;
  const out = new Uint8Array(t * h * w * c);
  for (let f = 0; f < t; f++) {
    const px = store.frame(video, start + f, h, sw, c);
    const base = f * h * w * c;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sx = doFlip ? x0 + w - 1 - x : x0 + x;
        const src = (y * sw + sx) * c;
        const dst = base + (y * w + x) * c;
        for (let k = 0; k < c; k++) out[dst + k] = px[src + k];
      }
    }
  }
  return { frames: out, t, h, w, c };
}

/** MCVD's 256-clip test indexing: clip k of 256 reads video round(k / 255 * (n - 1)). */
export function evenlySpacedIndex(k: number, count: number, n: number): number {
  if (n <= 1 || count <= 1) return 0;
  return Math.round((k / (count - 1)) * (n - 1));
}
