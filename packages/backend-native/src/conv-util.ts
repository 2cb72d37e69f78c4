// Shared pieces of the convolution kernels (kernels.ts, conv-grad.ts): tfjs conv attributes, the
// native parameter list, and a native call into a fresh output that is freed when oneDNN declines.
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { Host } from './host';

export interface ConvAttrs {
  strides: number | [number, number];
  pad: backend_util.ExplicitPadding | 'valid' | 'same' | number;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

export function convParams(info: backend_util.Conv2DInfo, act: number): number[] {
  const p = info.padInfo;
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
    act,
  ];
}

/** Runs a native call writing into a fresh output; on `false` (unsupported) frees it and returns null. */
export function withOutput(host: Host, backend: unknown, shape: number[], run: (out: TensorInfo) => boolean): TensorInfo | null {
  const out = host.alloc(shape);
  let ok = false;
  try {
    ok = run(out);
  } finally {
    if (!ok) (backend as { disposeData(id: object): void }).disposeData(out.dataId);
  }
  return ok ? out : null;
}
