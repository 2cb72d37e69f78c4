import * as tf from '@tensorflow/tfjs-core';

/**
 * How videos are brought to the I3D input size:
 * - `'fvd'` (default): the reference FVD code (google-research `frechet_video_distance`):
 *   TF1 `resize_bilinear` of every frame to size×size (align_corners=False,
 *   half_pixel_centers=False; the aspect ratio is not kept).
 * - `'stylegan-v'`: stretch to size×size with half-pixel bilinear (PyTorch `interpolate`,
 *   align_corners=False), as the TorchScript detector does with `resize=True`.
 * - `'mcvd'`: MCVD's `preprocess_single`: half-pixel bilinear so the shorter side is `size`
 *   (other side `ceil(side·scale)`), then a centre crop of size×size.
 */
export type I3DResizeMode = 'fvd' | 'stylegan-v' | 'mcvd';

export interface I3DPreprocessOptions {
  /** Default 224. */
  size?: number;
  /** Default `'fvd'`. */
  resize?: I3DResizeMode;
}

/**
 * Videos `[B,T,H,W,C]` in [0,1] (C = 1 or 3; gray is repeated to RGB) → `[B,T,size,size,3]` in
 * [-1,1], the I3D input.
 */
export function preprocessForI3D(videos: tf.Tensor, options: I3DPreprocessOptions = {}): tf.Tensor5D {
  const { size = 224, resize = 'fvd' } = options;
  if (videos.rank !== 5) throw new Error(`preprocessForI3D: expected videos [B,T,H,W,C], got shape [${videos.shape}]`);
  const [b, t, h, w, c] = videos.shape;
  if (c !== 1 && c !== 3) throw new Error(`preprocessForI3D: expected 1 or 3 channels, got ${c}`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`preprocessForI3D: size must be a positive integer, got ${size}`);
  if (resize !== 'fvd' && resize !== 'stylegan-v' && resize !== 'mcvd') {
    throw new Error(`preprocessForI3D: unknown resize mode "${String(resize)}" (use 'fvd', 'stylegan-v' or 'mcvd')`);
  }
  return tf.tidy(() => {
    let frames = tf.reshape(videos, [b * t, h, w, c]) as tf.Tensor4D;
    if (c === 1) frames = tf.tile(frames, [1, 1, 1, 3]);
    let out: tf.Tensor4D;
    if (resize === 'fvd') {
      out = h === size && w === size ? frames : tf.image.resizeBilinear(frames, [size, size], false, false);
    } else if (resize === 'stylegan-v') {
      out = h === size && w === size ? frames : tf.image.resizeBilinear(frames, [size, size], false, true);
    } else {
      const scale = size / Math.min(h, w);
      const th = h < w ? size : Math.ceil(h * scale);
      const tw = h < w ? Math.ceil(w * scale) : size;
      const resized = th === h && tw === w ? frames : tf.image.resizeBilinear(frames, [th, tw], false, true);
      const top = Math.floor((th - size) / 2);
      const left = Math.floor((tw - size) / 2);
      out = tf.slice(resized, [0, top, left, 0], [-1, size, size, 3]);
    }
    return tf.reshape(tf.sub(tf.mul(out, 2), 1), [b, t, size, size, 3]) as tf.Tensor5D;
  });
}
