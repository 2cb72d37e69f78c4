// Shared pieces of the cpu-host kernels (cpu-kernels.ts, cpu-reduce-fill.ts).
import type { TensorInfo } from '@tensorflow/tfjs-core';

type Args = { inputs: Record<string, TensorInfo | undefined> | TensorInfo[]; backend: unknown; attrs?: Record<string, unknown> };
export type Func = (args: Args) => TensorInfo | TensorInfo[];

/** Row-major element strides of `shape`. */
export function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}

export const f32 = (t: TensorInfo | undefined): t is TensorInfo => t !== undefined && t.dtype === 'float32';

/** The input list of a kernel that takes a variable number of tensors (AddN, Concat, Pack). */
export const inputList = (args: Args): TensorInfo[] =>
  (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as TensorInfo[];
