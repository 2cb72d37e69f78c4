import { writeFileAtomic } from './atomic-write';
// gifenc ships CommonJS (Node ESM sees only a default export) and an ESM build (bundlers and
// vitest see named exports): accept both shapes.
import * as gifencModule from 'gifenc';

const gifenc = (
  typeof gifencModule.GIFEncoder === 'function'
    ? gifencModule
    : (gifencModule as unknown as { default: typeof gifencModule }).default
) as typeof gifencModule;
const { GIFEncoder, applyPalette, quantize } = gifenc;

/**
 * Writes an animated GIF from frames of one size, each `Uint8Array` RGB or gray (values 0-255,
 * row-major HWC). Gray frames use an exact 256-level palette; RGB frames a palette quantised from
 * all frames. `scale` enlarges pixels (nearest) so 64x64 clips are visible.
 */
export function writeGif(
  path: string,
  frames: Uint8Array[],
  {
    width,
    height,
    channels,
    delayMs = 200,
    scale = 1,
  }: { width: number; height: number; channels: 1 | 3; delayMs?: number; scale?: number },
): void {
  if (frames.length === 0) throw new Error(`writeGif ${path}: no frames`);
  const n = width * height * channels;
  frames.forEach((f, i) => {
    if (f.length !== n)
      throw new Error(`writeGif ${path}: frame ${i} has ${f.length} values, expected ${width}x${height}x${channels}`);
  });
  const W = width * scale;
  const H = height * scale;
  const rgba = frames.map((f) => {
    const out = new Uint8Array(W * H * 4);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
        const dst = (y * W + x) * 4;
        out[dst] = f[src];
        out[dst + 1] = f[src + (channels === 3 ? 1 : 0)];
        out[dst + 2] = f[src + (channels === 3 ? 2 : 0)];
        out[dst + 3] = 255;
      }
    }
    return out;
  });
  let palette: number[][];
  if (channels === 1) {
    palette = Array.from({ length: 256 }, (_, v) => [v, v, v]);
  } else {
    const all = new Uint8Array(rgba.reduce((s, f) => s + f.length, 0));
    let o = 0;
    for (const f of rgba) {
      all.set(f, o);
      o += f.length;
    }
    palette = quantize(all, 256);
  }
  const gif = GIFEncoder();
  rgba.forEach((f, i) => {
    const index = channels === 1 ? grayIndex(f) : applyPalette(f, palette);
    gif.writeFrame(index, W, H, { palette: i === 0 ? palette : undefined, delay: delayMs, repeat: 0 });
  });
  gif.finish();
  writeFileAtomic(path, gif.bytes(), 'GIF');
}

function grayIndex(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4];
  return out;
}
