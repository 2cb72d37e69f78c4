import { PNG } from 'pngjs';
import { expect, it } from 'vitest';
import { clipGridPng } from '../src/png-grid';
import { patternClip, pix } from './fixtures';

it('PNG grid decodes back to the clip pixels at the right cells', () => {
  const clips = [patternClip(0, 3, 8, 6, 1), patternClip(1, 2, 8, 6, 3)];
  const png = PNG.sync.read(Buffer.from(clipGridPng(clips, 2)));
  expect([png.width, png.height]).toEqual([3 * 8 + 2, 2 * 10 + 2]);
  const at = (r: number, f: number, y: number, x: number, k: number) =>
    png.data[((2 + r * 10 + y) * png.width + 2 + f * 8 + x) * 4 + k];
  expect(at(0, 2, 5, 4, 0)).toBe(pix(0, 2, 5, 4, 0));
  expect(at(0, 2, 5, 4, 2)).toBe(pix(0, 2, 5, 4, 0)); // gray repeated to RGB
  expect(at(1, 1, 7, 5, 2)).toBe(pix(1, 1, 7, 5, 2));
  expect(at(1, 2, 0, 0, 0)).toBe(255); // clip 2 has no third frame: background
});
