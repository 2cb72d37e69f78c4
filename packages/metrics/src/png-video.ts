import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';

interface DecodedFrame {
  width: number;
  height: number;
  gray: boolean;
  rgba: Uint8Array;
  file: string;
}

function decodePng(file: string): DecodedFrame {
  let png: PNG;
  try {
    png = PNG.sync.read(readFileSync(file));
  } catch (err) {
    throw new Error(`cannot decode PNG ${file}: ${(err as Error).message}`);
  }
  // colour types 0 (gray) and 4 (gray + alpha) are single-channel; 16-bit data arrive scaled to 8 bit
  const colorType = (png as PNG & { colorType?: number }).colorType; // set by pngjs, missing from its types
  const gray = colorType === 0 || colorType === 4;
  return { width: png.width, height: png.height, gray, rgba: png.data, file };
}

const isPng = (name: string) => /\.png$/i.test(name);
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function framesToTensor(frames: DecodedFrame[], channels: 1 | 3): Float32Array {
  const { width, height } = frames[0];
  const out = new Float32Array(frames.length * height * width * channels);
  let o = 0;
  for (const f of frames) {
    if (f.width !== width || f.height !== height) {
      throw new Error(`${f.file} is ${f.width}x${f.height}, but ${frames[0].file} is ${width}x${height}; all frames must match`);
    }
    for (let p = 0; p < width * height; p++) {
      if (channels === 1) out[o++] = f.rgba[4 * p] / 255;
      else for (let c = 0; c < 3; c++) out[o++] = f.rgba[4 * p + c] / 255;
    }
  }
  return out;
}

function listPngs(dir: string): string[] {
  return readdirSync(dir)
    .filter(isPng)
    .sort(natural)
    .map((n) => join(dir, n));
}

/**
 * Loads PNG frames as a float32 tensor in [0,1]:
 * - a `.png` file → `[1, H, W, C]` (one frame);
 * - a directory of `.png` files (one video; natural sort order, `f2` before `f10`) → `[T, H, W, C]`;
 * - a directory of such directories (a batch of videos) → `[B, T, H, W, C]`.
 *
 * C is 1 when every frame is a grayscale PNG, otherwise 3 (gray frames are replicated). Alpha is
 * ignored; 16-bit PNGs are reduced to 8 bit. Errors name the offending path.
 */
export function loadVideoFromPath(path: string): tf.Tensor4D | tf.Tensor5D {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`loadVideoFromPath: ${path} does not exist`);
  }
  if (st.isFile()) {
    if (!isPng(path)) throw new Error(`loadVideoFromPath: ${path} is not a .png file`);
    const f = decodePng(path);
    const c = f.gray ? 1 : 3;
    return tf.tensor4d(framesToTensor([f], c), [1, f.height, f.width, c]);
  }
  const pngs = listPngs(path);
  const subdirs = readdirSync(path)
    .filter((n) => statSync(join(path, n)).isDirectory())
    .sort(natural)
    .map((n) => join(path, n));
  if (pngs.length > 0 && subdirs.length > 0) {
    throw new Error(`loadVideoFromPath: ${path} mixes .png files and sub-directories; use one layout`);
  }
  if (pngs.length > 0) {
    const frames = pngs.map(decodePng);
    const c = frames.every((f) => f.gray) ? 1 : 3;
    return tf.tensor4d(framesToTensor(frames, c), [frames.length, frames[0].height, frames[0].width, c]);
  }
  if (subdirs.length === 0) throw new Error(`loadVideoFromPath: ${path} contains no .png files`);
  const videos = subdirs.map((d) => {
    const files = listPngs(d);
    if (files.length === 0) throw new Error(`loadVideoFromPath: ${d} contains no .png files`);
    return files.map(decodePng);
  });
  const t = videos[0].length;
  for (let i = 1; i < videos.length; i++) {
    if (videos[i].length !== t) {
      throw new Error(`loadVideoFromPath: ${subdirs[i]} has ${videos[i].length} frames but ${subdirs[0]} has ${t}`);
    }
  }
  const all = videos.flat();
  const c = all.every((f) => f.gray) ? 1 : 3;
  return tf.tensor5d(framesToTensor(all, c), [videos.length, t, all[0].height, all[0].width, c]);
}
