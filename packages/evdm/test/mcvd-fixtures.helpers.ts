// Shared by the MCVD interop tests: fixture paths, NCHW <-> NHWC, error measures.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '../src/interop/safetensors';

export const FIXTURE_DIR = join(__dirname, 'fixtures', 'mcvd');
export const FIXTURES = ['smmnist', 'kth', 'bair', 'smmnist-spade'] as const;
export type FixtureName = (typeof FIXTURES)[number];

export const fixturePath = (name: string, ext: string) => join(FIXTURE_DIR, `${name}.${ext}`);

/** The fixture's inputs and MCVD's outputs, NCHW arrays as MCVD wrote them. */
export function fixtureIo(name: string) {
  const f = readSafetensors(fixturePath(name, 'io.safetensors'));
  return { get: (k: string) => f.read(k), names: f.names };
}

/** NCHW host tensor -> NHWC tf tensor (MCVD stacks frames in channels frame-major, as evdm does). */
export function nhwc(t: { shape: number[]; data: Float32Array }): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

/** max |a-b| and ||a-b|| / ||b||. */
export function errors(actual: ArrayLike<number>, expected: ArrayLike<number>): { max: number; rel: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let max = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    max = Math.max(max, Math.abs(d));
    num += d * d;
    den += expected[i] * expected[i];
  }
  return { max, rel: Math.sqrt(num / den) };
}
