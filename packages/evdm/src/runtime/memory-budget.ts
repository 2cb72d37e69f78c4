import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { NetworkConfig } from '../models/network-config';

/**
 * Up-front memory estimates, so an impossible `--batch`, `--horizon` or `--trajectories` is refused
 * with a message naming the flag, the estimate and the limit instead of failing deep in wasm
 * (`memory access out of bounds`) or V8 (`Invalid typed array length`). The estimates are deliberately
 * rough lower bounds (float32 activations a U-Net keeps alive); they catch orders of magnitude.
 */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Share of the host RAM a CPU backend may plan to use. */
export const HOST_FRACTION = 0.5;

/** The limit of the active backend: the 4 GiB wasm32 heap, else a share of the host RAM. */
export function memoryLimit(backend = tf.getBackend()): { bytes: number; what: string } {
  if (backend === 'wasm') return { bytes: WASM_HEAP_BYTES, what: 'the 4 GiB wasm heap' };
  const bytes = Math.floor(totalmem() * HOST_FRACTION);
  return { bytes, what: `${HOST_FRACTION * 100}% of this machine's ${formatBytes(totalmem())} RAM` };
}

export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return `${b} B`;
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) {
    b /= 1024;
    i++;
  }
  return `${b.toFixed(b < 10 && i > 0 ? 1 : 0)} ${u[i]}`;
}

/** float32 feature-map values of one sample through the U-Net (encoder + decoder, all levels). */
function featureValues(net: NetworkConfig): number {
  let v = 0;
  net.channelMult.forEach((m, i) => {
    const side = net.imageSize / 2 ** i;
    v += side * side * net.baseChannels * m * (net.numResBlocks + 1) * 2;
    if (net.attnResolutions.includes(side)) v += (side * side) ** 2 * Math.max(1, (net.baseChannels * m) / net.headChannels);
  });
  return v;
}

/** Bytes of one training step with `batch` samples (activations kept for the backward pass, ~4 per block output). */
export function trainStepBytes(net: NetworkConfig, batch: number): number {
  return batch * featureValues(net) * 4 * 4;
}

/** Bytes of sampling `samples` videos of `horizon` frames (one denoiser pass alive + the frames held). */
export function sampleBytes(net: NetworkConfig, samples: number, horizon: number): number {
  const frame = net.imageSize * net.imageSize * net.imageChannels;
  return samples * (featureValues(net) * 3 + frame * (horizon + net.pastFrames + net.futureFrames) * 2) * 4;
}

/** Throws naming the flag(s), the estimate and the limit when `bytes` exceeds the backend's limit. */
export function checkMemory(bytes: number, flags: string, limit = memoryLimit()): void {
  if (!(bytes <= limit.bytes)) {
    throw new Error(
      `${flags} needs about ${formatBytes(bytes)} of memory (rough estimate), more than ${limit.what} (${formatBytes(limit.bytes)}): use a smaller value`,
    );
  }
}
