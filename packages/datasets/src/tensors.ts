// Host clips -> network tensors: values mapped from uint8 to [-1, 1], NHWC with the frames of a
// group stacked into channels frame-major (channel = frame * C + c).
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from './types';

/** Packs frames [from, from + count) of every clip into one [B, H, W, count * C] tensor. */
export function clipsToTensor(clips: Clip[], from: number, count: number): tf.Tensor4D {
  const { h, w, c } = clips[0];
  const depth = count * c;
  const out = new Float32Array(clips.length * h * w * depth);
  clips.forEach((clip, b) => {
    for (let f = 0; f < count; f++) {
      const src = (from + f) * h * w * c;
      for (let p = 0; p < h * w; p++) {
        const dst = (b * h * w + p) * depth + f * c;
        for (let k = 0; k < c; k++) out[dst + k] = clip.frames[src + p * c + k] / 127.5 - 1;
      }
    }
  });
  return tf.tensor4d(out, [clips.length, h, w, depth]);
}

/** Inverse of the value mapping for one stacked tensor: [-1, 1] -> uint8 clips [T, H, W, C]. */
export function tensorToClips(x: tf.Tensor4D, channels: number): Clip[] {
  const [b, h, w, depth] = x.shape;
  if (depth % channels !== 0) throw new Error(`tensorToClips: depth ${depth} is not a multiple of channels ${channels}`);
  const t = depth / channels;
  const data = x.dataSync();
  const clips: Clip[] = [];
  for (let i = 0; i < b; i++) {
    const frames = new Uint8Array(t * h * w * channels);
    for (let f = 0; f < t; f++) {
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < channels; k++) {
          const v = (data[(i * h * w + p) * depth + f * channels + k] + 1) * 127.5;
          frames[(f * h * w + p) * channels + k] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    clips.push({ frames, t, h, w, c: channels });
  }
  return clips;
}
