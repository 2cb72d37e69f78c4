// A stride/dilation conv2d (NHWC) on the stock XNNPACK-backed wasm Conv2D kernel that also
// accepts negative padding (a negative pad crops the input). The gradient re-expressions
// below produce such pads for 'valid' strided convolutions whose last rows are never read.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { release, runWasm, type WasmBackendLike } from './wasm-calls';

export interface SignedPads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export function conv2dSignedPads(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: SignedPads,
): TensorInfo {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(-pads.top, 0);
  const cropBottom = Math.max(-pads.bottom, 0);
  const cropLeft = Math.max(-pads.left, 0);
  const cropRight = Math.max(-pads.right, 0);
  const needsCrop = cropTop + cropBottom + cropLeft + cropRight > 0;
  const input = needsCrop
    ? runWasm(
        backend,
        'Slice',
        { x },
        {
          begin: [0, cropTop, cropLeft, 0],
          size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c],
        },
      )
    : x;
  const explicit = [
    [0, 0],
    [Math.max(pads.top, 0), Math.max(pads.bottom, 0)],
    [Math.max(pads.left, 0), Math.max(pads.right, 0)],
    [0, 0],
  ];
  const out = runWasm(
    backend,
    'Conv2D',
    { x: input, filter },
    {
      strides,
      dilations,
      pad: explicit,
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    },
  );
  if (needsCrop) release(backend, input);
  return out;
}
