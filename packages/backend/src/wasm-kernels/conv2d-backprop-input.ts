// Conv2DBackpropInput for wasm, re-expressed on the XNNPACK-backed forward conv (the stock
// kernel is a naive loop). With dy:[B,OH,OW,Co], W:[KH,KW,Ci,Co], stride s, top pad pt:
//   dx[b,h,w,ci] = sum dy[b,oh,ow,co] W[kh,kw,ci,co] over h = oh*s + kh - pt
// equals a stride-1 conv of dy with zeros inserted between rows/columns (s-1 of them) and the
// spatially flipped, in/out-swapped filter, padded by KH-1-pt on top and H-Hd+pt at the bottom.
import { backend_util, Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dSignedPads } from './conv-signed-pads';
import { f32, release, requireFloat32, runWasm, transpose, zeros, type WasmBackendLike } from './wasm-calls';

interface Attrs {
  strides: number | [number, number];
  pad: backend_util.ExplicitPadding | 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** Spreads dy:[B,OH,OW,C] onto a zero grid [B,(OH-1)*sh+1,(OW-1)*sw+1,C] (stride > 1 only). */
export function insertZeros(backend: WasmBackendLike, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [b, oh, ow, c] = dy.shape;
  const hd = (oh - 1) * sh + 1;
  const wd = (ow - 1) * sw + 1;
  const out = zeros(backend, [b, hd, wd, c]);
  const src = f32(backend, dy);
  const dst = f32(backend, out);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const from = ((n * oh + i) * ow + j) * c;
        const to = ((n * hd + i * sh) * wd + j * sw) * c;
        dst.set(src.subarray(from, from + c), to);
      }
    }
  }
  return out;
}

export function conv2dBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: WasmBackendLike;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  requireFloat32(Conv2DBackpropInput, { dy, filter });
  if (attrs.dataFormat === 'NCHW') {
    throw new Error(`evdm wasm Conv2DBackpropInput: dataFormat 'NCHW' is not supported; use 'NHWC'`);
  }
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [, h, w] = attrs.inputShape;
  const [, oh, ow] = dy.shape;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const hd = (oh - 1) * sh + 1;
  const wd = (ow - 1) * sw + 1;

  const spread = sh > 1 || sw > 1 ? insertZeros(backend, dy, sh, sw) : dy;
  const flipped = runWasm(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = transpose(backend, flipped, [0, 1, 3, 2]);
  const dx = conv2dSignedPads(backend, spread, swapped, [1, 1], [1, 1], {
    top: kh - 1 - pt,
    bottom: h - hd + pt,
    left: kw - 1 - pl,
    right: w - wd + pl,
  });
  release(backend, flipped, swapped);
  if (spread !== dy) release(backend, spread);
  return dx;
}

export function conv2dBackpropInputConfig(): KernelConfig {
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
  };
}
