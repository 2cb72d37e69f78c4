// Main-thread side of the prefetch worker: an async iterator of host batches prepared in a
// worker thread, at most `ahead` batches in flight. HDF5 reads (h5wasm) are synchronous, so only
// a separate thread lets them overlap with the consumer's training step.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchStreamSpec } from './batch-stream';
import { DatasetError } from './errors';
import type { WorkerInit, WorkerMessage } from './loader-worker';
import type { OpenDatasetOptions } from './open-dataset';
import type { Clip } from './types';

/** The built worker script: beside this module in dist, or in ../dist when running from sources. */
export function loaderWorkerPath(): string | null {
  const here = import.meta.url;
  for (const rel of ['./loader-worker.js', '../dist/loader-worker.js']) {
    const p = fileURLToPath(new URL(rel, here));
    if (existsSync(p)) return p;
  }
  return null;
}

function rebuildError(m: Extract<WorkerMessage, { type: 'error' }>): Error {
  if (m.name === 'DatasetError' && m.subject !== undefined) {
    return new DatasetError(
      m.subject,
      m.message.startsWith(`${m.subject}: `) ? m.message.slice(m.subject.length + 2) : m.message,
    );
  }
  const e = new Error(m.message);
  e.name = m.name;
  return e;
}

export function workerBatches(
  script: string,
  open: OpenDatasetOptions,
  spec: BatchStreamSpec,
  ahead: number,
): AsyncIterator<Clip[]> & { return(): Promise<IteratorResult<Clip[]>> } {
  const worker = new Worker(script, { workerData: { open, spec, ahead } satisfies WorkerInit });
  const ready: Clip[][] = [];
  let finished = false;
  let failure: Error | null = null;
  let waiter: (() => void) | null = null;
  const wakeUp = () => {
    const w = waiter;
    waiter = null;
    w?.();
  };
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'batch') ready.push(m.clips);
    else if (m.type === 'done') finished = true;
    else failure = rebuildError(m);
    wakeUp();
  });
  worker.on('error', (e) => {
    failure = e;
    wakeUp();
  });
  worker.on('exit', () => {
    finished = true;
    wakeUp();
  });
  // Referenced only while the consumer awaits a batch: an idle worker waiting for credit must not
  // keep the process alive, but a pending next() must.
  worker.unref();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.terminate();
  };
  return {
    async next(): Promise<IteratorResult<Clip[]>> {
      for (;;) {
        if (ready.length > 0) {
          const clips = ready.shift()!;
          if (!stopped) worker.postMessage({ type: 'more' });
          return { done: false, value: clips };
        }
        if (failure) {
          await stop();
          throw failure;
        }
        if (finished || stopped) {
          await stop();
          return { done: true, value: undefined };
        }
        worker.ref();
        await new Promise<void>((r) => (waiter = r));
        worker.unref();
      }
    },
    async return(): Promise<IteratorResult<Clip[]>> {
      await stop();
      return { done: true, value: undefined };
    },
  };
}
