// Conv2DBackpropFilter for wasm (stock wasm has none), re-expressed as one forward conv so it
// runs on XNNPACK. With x:[B,H,W,Ci], dy:[B,OH,OW,Co], stride s, top/left pads pt/pl:
//   dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[b,oh,ow,co]
// which is conv2d(input = x^T:[Ci,H,W,B], filter = dy^T:[OH,OW,B,Co], stride 1, dilation s)
// evaluated at output [Ci,KH,KW,Co], then transposed back to [KH,KW,Ci,Co].
import { backend_util, Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dSignedPads } from './conv-signed-pads';
import { release, requireFloat32, transpose, type WasmBackendLike } from './wasm-calls';

interface Attrs {
  strides: number | [number, number];
  pad: backend_util.ExplicitPadding | 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function conv2dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackendLike;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  requireFloat32(Conv2DBackpropFilter, { x, dy });
  if (attrs.dataFormat === 'NCHW') {
    throw new Error(`evdm wasm Conv2DBackpropFilter: dataFormat 'NCHW' is not supported; use 'NHWC'`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [, h, w] = x.shape;
  const [oh, ow] = [info.outHeight, info.outWidth];
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Bottom/right pads chosen so the output is exactly KH x KW (negative = crop unread rows).
  const pb = kh + (oh - 1) * sh - h - pt;
  const pr = kw + (ow - 1) * sw - w - pl;

  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const dwT = conv2dSignedPads(backend, xT, dyT, [1, 1], [sh, sw], { top: pt, bottom: pb, left: pl, right: pr });
  const dw = transpose(backend, dwT, [1, 2, 0, 3]);
  release(backend, xT, dyT, dwT);
  return dw;
}

export function conv2dBackpropFilterConfig(): KernelConfig {
  return {
    kernelName: Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
  };
}
