// One human-readable status line about the active backend.
import * as tf from '@tensorflow/tfjs-core';
import { gradientsRegistered } from './gradients';
import { loadOptional } from './module-loader';
import { wasmTrainingKernelsActive } from './wasm-kernels/register';

/** e.g. "wasm (1 thread, evdm training kernels on, gradients registered)". */
export function describeBackend(): string {
  const name = tf.getBackend();
  if (name == null) return 'no backend initialised';
  const parts: string[] = [];
  if (name === 'wasm') {
    const wasm = loadOptional('@tensorflow/tfjs-backend-wasm');
    const threads = wasm.ok ? (wasm.module as { getThreadsCount?: () => number }).getThreadsCount?.() : undefined;
    if (threads !== undefined) parts.push(`${threads} thread${threads === 1 ? '' : 's'}`);
    parts.push(`evdm training kernels ${wasmTrainingKernelsActive() ? 'on' : 'off'}`);
  } else if (name === 'tensorflow') {
    parts.push(`libtensorflow, TF_NUM_INTRAOP_THREADS=${process.env.TF_NUM_INTRAOP_THREADS ?? 'default'}`);
  } else if (name === 'cpu') {
    parts.push('pure JS');
  }
  parts.push(gradientsRegistered() ? 'gradients registered' : 'no gradients registered');
  return `${name} (${parts.join(', ')})`;
}
