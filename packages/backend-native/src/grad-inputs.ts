// Shared by the one-call backward kernels (conv-grad.ts, dense-grad.ts): the input checks (every named
// input present, float32 and of the given rank, else an error naming the kernel, the problem and every
// input's shape) and the bias gradient.
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './addon';
import type { Host } from './host';

export type Fail = (why: string) => never;

export function gradInputs(
  kernel: string,
  inputs: Record<string, TensorInfo | undefined>,
  names: string[],
  rank: number,
  context = '',
): { tensors: TensorInfo[]; fail: Fail } {
  const shapes = names.map((n) => `${n} [${inputs[n]?.shape ?? 'missing'}]`).join(', ');
  const fail: Fail = (why) => {
    throw new Error(`${kernel}: ${why} (${shapes}${context})`);
  };
  if (names.some((n) => !inputs[n])) fail(`needs ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);
  const tensors = names.map((n) => inputs[n] as TensorInfo);
  tensors.forEach((t, i) => {
    if (t.dtype !== 'float32') fail(`${names[i]} must be float32, got ${t.dtype}`);
    if (t.shape.length !== rank) fail(`${names[i]} must have rank ${rank}, got rank ${t.shape.length}`);
  });
  return { tensors, fail };
}

/** The bias gradient of an output gradient `dy` with `n` channels last: its column sums, one native pass. */
export function biasGradient(h: Host, dy: TensorInfo, n: number): TensorInfo {
  const db = h.alloc([n]);
  nativeAddon().sum(h.view(dy), [util.sizeFromShape(dy.shape) / n, n], [0, 1], h.view(db));
  return db;
}
