// Conv2DBackpropInput (also conv2dTranspose's forward) for wasm, re-expressed on the XNNPACK-backed
// forward conv (the stock kernel is a naive loop). With dy:[B,OH,OW,Co], W:[KH,KW,Ci,Co], stride s,
// top pad pt:   dx[b,h,w,ci] = sum dy[b,oh,ow,co] W[kh,kw,ci,co] over h = oh*s + kh - pt.
// Stride 1: a stride-1 conv of dy with the spatially flipped, in/out-swapped filter, padded by
// KH-1-pt on top and H-OH+pt at the bottom. Stride s: split by output phase (see below).
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

/** One axis of the stride-phase split: phase r gets taps r, r+s, ... and output rows s*q+r-pad. */
interface AxisPhase {
  taps: number; // J = number of kernel taps of this phase
  qMin: number; // first q with 0 <= s*q + r - pad
  count: number; // number of output rows of this phase
  padBefore: number; // signed conv pads producing exactly those rows from dy
  padAfter: number;
}

function axisPhase(r: number, k: number, s: number, pad: number, outLen: number, dyLen: number): AxisPhase {
  const taps = r < k ? Math.ceil((k - r) / s) : 0;
  const qMin = Math.ceil((pad - r) / s);
  const qMax = Math.floor((outLen - 1 + pad - r) / s);
  const count = Math.max(qMax - qMin + 1, 0);
  // out[q] = sum_j dy[q - j] * W[r + s*j] is a stride-1 correlation of dy with the flipped taps.
  const padBefore = taps - 1 - qMin;
  const padAfter = count - dyLen - padBefore + taps - 1;
  return { taps, qMin, count, padBefore, padAfter };
}

/** Sub-filter of phase (rh, rw): taps W[rh + sh*j, rw + sw*i, ci, co], flipped, as [Jh, Jw, Co, Ci]. */
function phaseFilter(
  backend: WasmBackendLike,
  filter: TensorInfo,
  rh: number,
  rw: number,
  sh: number,
  sw: number,
  jh: number,
  jw: number,
): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([jh, jw, co, ci], 'float32');
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  for (let a = 0; a < jh; a++) {
    const srcRow = rh + sh * (jh - 1 - a);
    for (let b = 0; b < jw; b++) {
      const srcCol = rw + sw * (jw - 1 - b);
      const sBase = (srcRow * kw + srcCol) * ci * co;
      const dBase = (a * jw + b) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dBase + o * ci + i] = src[sBase + i * co + o];
      }
    }
  }
  return out;
}

/**
 * Strided case without zero-insertion: output rows/columns split into sh x sw phases by
 * (h + pt) mod s; each phase is a stride-1 conv of dy with the phase's taps only, scattered back.
 * This does the same work as the forward conv instead of s^2 times as much.
 */
function stridedBackpropInput(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: [number, number, number, number],
  strides: [number, number],
  pads: [number, number],
): TensorInfo {
  const [batch, h, w, ci] = inputShape;
  const [kh, kw] = filter.shape;
  const [, oh, ow] = dy.shape;
  const [sh, sw] = strides;
  const [pt, pl] = pads;
  const dx = zeros(backend, inputShape);
  for (let rh = 0; rh < sh; rh++) {
    const ph = axisPhase(rh, kh, sh, pt, h, oh);
    if (ph.taps === 0 || ph.count === 0) continue;
    for (let rw = 0; rw < sw; rw++) {
      const pw = axisPhase(rw, kw, sw, pl, w, ow);
      if (pw.taps === 0 || pw.count === 0) continue;
      const sub = phaseFilter(backend, filter, rh, rw, sh, sw, ph.taps, pw.taps);
      const part = conv2dSignedPads(backend, dy, sub, [1, 1], [1, 1], {
        top: ph.padBefore,
        bottom: ph.padAfter,
        left: pw.padBefore,
        right: pw.padAfter,
      });
      const src = f32(backend, part);
      const dst = f32(backend, dx);
      for (let n = 0; n < batch; n++) {
        for (let q = 0; q < ph.count; q++) {
          const row = sh * (q + ph.qMin) + rh - pt;
          for (let p = 0; p < pw.count; p++) {
            const col = sw * (p + pw.qMin) + rw - pl;
            const from = ((n * ph.count + q) * pw.count + p) * ci;
            dst.set(src.subarray(from, from + ci), ((n * h + row) * w + col) * ci);
          }
        }
      }
      release(backend, sub, part);
    }
  }
  return dx;
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
  if (sh > 1 || sw > 1) {
    return stridedBackpropInput(backend, dy, filter, attrs.inputShape, [sh, sw], [pt, pl]);
  }
  // Stride 1: a 'full' correlation with the flipped, in/out-swapped filter.
  const flipped = runWasm(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = transpose(backend, flipped, [0, 1, 3, 2]);
  const dx = conv2dSignedPads(backend, dy, swapped, [1, 1], [1, 1], {
    top: kh - 1 - pt,
    bottom: h - oh + pt,
    left: kw - 1 - pl,
    right: w - ow + pl,
  });
  release(backend, flipped, swapped);
  return dx;
}

export function conv2dBackpropInputConfig(): KernelConfig {
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
  };
}
