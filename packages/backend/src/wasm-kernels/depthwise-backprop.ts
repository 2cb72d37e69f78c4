// Depthwise conv2d backprops for wasm (stock wasm has neither). Depthwise work is
// memory-bound, so these are direct loops over wasm-heap views rather than re-expressions.
// Filter layout [KH,KW,C,M]; output channel c*M+m reads input channel c.
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { f32, requireFloat32, zeros, type WasmBackendLike } from './wasm-calls';

interface CommonAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: backend_util.ExplicitPadding | 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function depthwiseInfo(xShape: number[], filterShape: number[], attrs: CommonAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

export function depthwiseBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: WasmBackendLike;
  attrs: CommonAttrs & { inputShape: [number, number, number, number] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  requireFloat32(DepthwiseConv2dNativeBackpropInput, { dy, filter });
  const info = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  const [b, h, w, c] = attrs.inputShape;
  const m = info.outChannels / info.inChannels;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = zeros(backend, [b, h, w, c]);
  const dyv = f32(backend, dy);
  const fv = f32(backend, filter);
  const dx = f32(backend, out);
  const cm = c * m;
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < oh; i++) {
      for (let p = 0; p < kh; p++) {
        const y = i * sh + p * dh - pt;
        if (y < 0 || y >= h) continue;
        for (let j = 0; j < ow; j++) {
          const dyBase = ((n * oh + i) * ow + j) * cm;
          for (let q = 0; q < kw; q++) {
            const xcol = j * sw + q * dw - pl;
            if (xcol < 0 || xcol >= w) continue;
            const dxBase = ((n * h + y) * w + xcol) * c;
            const fBase = (p * kw + q) * cm;
            for (let ch = 0; ch < c; ch++) {
              let acc = 0;
              for (let k = 0; k < m; k++) acc += dyv[dyBase + ch * m + k] * fv[fBase + ch * m + k];
              dx[dxBase + ch] += acc;
            }
          }
        }
      }
    }
  }
  return out;
}

export function depthwiseBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackendLike;
  attrs: CommonAttrs & { filterShape: [number, number, number, number] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  requireFloat32(DepthwiseConv2dNativeBackpropFilter, { x, dy });
  const info = depthwiseInfo(x.shape, attrs.filterShape, attrs);
  const [b, h, w, c] = x.shape;
  const m = info.outChannels / info.inChannels;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = zeros(backend, attrs.filterShape);
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  const df = f32(backend, out);
  const cm = c * m;
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      const fBase = (p * kw + q) * cm;
      for (let n = 0; n < b; n++) {
        for (let i = 0; i < oh; i++) {
          const y = i * sh + p * dh - pt;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < ow; j++) {
            const xcol = j * sw + q * dw - pl;
            if (xcol < 0 || xcol >= w) continue;
            const xBase = ((n * h + y) * w + xcol) * c;
            const dyBase = ((n * oh + i) * ow + j) * cm;
            for (let ch = 0; ch < c; ch++) {
              const xval = xv[xBase + ch];
              for (let k = 0; k < m; k++) df[fBase + ch * m + k] += xval * dyv[dyBase + ch * m + k];
            }
          }
        }
      }
    }
  }
  return out;
}

export function depthwiseBackpropInputConfig(): KernelConfig {
  return {
    kernelName: DepthwiseConv2dNativeBackpropInput,
    backendName: 'wasm',
    kernelFunc: depthwiseBackpropInputWasm as unknown as KernelFunc,
  };
}

export function depthwiseBackpropFilterConfig(): KernelConfig {
  return {
    kernelName: DepthwiseConv2dNativeBackpropFilter,
    backendName: 'wasm',
    kernelFunc: depthwiseBackpropFilterWasm as unknown as KernelFunc,
  };
}
