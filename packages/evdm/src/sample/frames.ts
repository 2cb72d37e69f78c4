import * as tf from '@tensorflow/tfjs-core';

/**
 * Video tensors [B, T, H, W, C] in [-1, 1] → per-clip lists of 8-bit frames (HWC, row-major), with
 * MCVD's output mapping (x + 1) / 2 clamped to [0, 1].
 */
export function toUint8Frames(video: tf.Tensor5D): Uint8Array[][] {
  const [B, T, H, W, C] = video.shape;
  const v = tf.tidy(() => tf.clipByValue(tf.mul(tf.add(video, 1), 127.5), 0, 255).dataSync());
  const n = H * W * C;
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => {
      const out = new Uint8Array(n);
      const off = (b * T + t) * n;
      for (let i = 0; i < n; i++) out[i] = Math.round(v[off + i]);
      return out;
    }),
  );
}

/**
 * Tiles frames into one image: `rows[r][c]` is the frame at row r, column c (all H×W×C), with a
 * `gap`-pixel border of value `background`. Missing cells stay background.
 */
export function tileFrames(
  rows: Array<Array<Uint8Array | null>>,
  H: number,
  W: number,
  C: number,
  { gap = 1, background = 128 } = {},
): { data: Uint8Array; width: number; height: number } {
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * W + (cols + 1) * gap;
  const height = rows.length * H + (rows.length + 1) * gap;
  const data = new Uint8Array(width * height * C).fill(background);
  rows.forEach((row, r) =>
    row.forEach((f, c) => {
      if (!f) return;
      if (f.length !== H * W * C)
        throw new Error(`tileFrames: cell (${r}, ${c}) has ${f.length} values, expected ${H}x${W}x${C}`);
      const x0 = gap + c * (W + gap);
      const y0 = gap + r * (H + gap);
      for (let y = 0; y < H; y++) data.set(f.subarray(y * W * C, (y + 1) * W * C), ((y0 + y) * width + x0) * C);
    }),
  );
  return { data, width, height };
}
