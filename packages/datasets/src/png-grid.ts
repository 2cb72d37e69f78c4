// PNG grid of clips (one row per clip, one column per frame) for docs and pipeline reports.
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { DatasetError } from './errors';
import type { Clip } from './types';

/** Renders clips into an RGBA PNG: row r = clip r, column f = frame f, `gap` pixels of spacing. */
export function clipGridPng(clips: Clip[], gap = 2): Uint8Array {
  if (clips.length === 0) throw new DatasetError('clipGridPng clips', 'needs at least one clip');
  const { h, w } = clips[0];
  for (const c of clips) {
    if (c.h !== h || c.w !== w) throw new DatasetError('clipGridPng clips', `all clips must be ${h}x${w}, got ${c.h}x${c.w}`);
    if (c.c !== 1 && c.c !== 3) throw new DatasetError('clipGridPng clips', `channels must be 1 or 3, got ${c.c}`);
  }
  const cols = Math.max(...clips.map((c) => c.t));
  const png = new PNG({ width: cols * (w + gap) + gap, height: clips.length * (h + gap) + gap });
  png.data.fill(255);
  clips.forEach((clip, r) => {
    for (let f = 0; f < clip.t; f++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const src = ((f * h + y) * w + x) * clip.c;
          const dst = ((gap + r * (h + gap) + y) * png.width + gap + f * (w + gap) + x) * 4;
          for (let k = 0; k < 3; k++) png.data[dst + k] = clip.frames[src + (clip.c === 3 ? k : 0)];
          png.data[dst + 3] = 255;
        }
      }
    }
  });
  return new Uint8Array(PNG.sync.write(png));
}

/** Writes {@link clipGridPng} to a file. */
export function writeClipGridPng(path: string, clips: Clip[], gap = 2): void {
  writeFileSync(path, clipGridPng(clips, gap));
}
