// Prefetch worker: opens the dataset itself and runs the same batch stream as the main thread
// would, posting each batch's frame buffers (transferred, not copied) as the consumer grants credit.
import { parentPort, workerData } from 'node:worker_threads';
import { hostBatchStream, type BatchStreamSpec } from './batch-stream';
import { openDataset, type OpenDatasetOptions } from './open-dataset';
import type { Clip } from './types';

export interface WorkerInit {
  open: OpenDatasetOptions;
  spec: BatchStreamSpec;
  /** Batches to prepare before the first request (the prefetch depth). */
  ahead: number;
}

export type WorkerMessage =
  { type: 'batch'; clips: Clip[] } | { type: 'done' } | { type: 'error'; name: string; message: string; subject?: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('loader-worker must run as a worker thread');
  const init = workerData as WorkerInit;
  let credit = init.ahead;
  let wake: (() => void) | null = null;
  let closing = false;
  port.on('message', (m: { type: 'more' } | { type: 'close' }) => {
    if (m.type === 'more') credit++;
    else closing = true;
    wake?.();
  });
  try {
    const ds = await openDataset(init.open);
    try {
      for await (const clips of hostBatchStream(ds, init.spec)) {
        while (credit <= 0 && !closing) await new Promise<void>((r) => (wake = r));
        if (closing) break;
        credit--;
        // own, exact-size buffers so they can be transferred
        const owned = clips.map((c) => ({
          ...c,
          frames: c.frames.byteOffset === 0 && c.frames.byteLength === c.frames.buffer.byteLength ? c.frames : c.frames.slice(),
        }));
        port.postMessage(
          { type: 'batch', clips: owned } satisfies WorkerMessage,
          owned.map((c) => c.frames.buffer as ArrayBuffer),
        );
      }
    } finally {
      ds.close();
    }
    port.postMessage({ type: 'done' } satisfies WorkerMessage);
  } catch (e) {
    const err = e as Error & { subject?: string };
    port.postMessage({
      type: 'error',
      name: err.name ?? 'Error',
      message: err.message ?? String(e),
      subject: err.subject,
    } satisfies WorkerMessage);
  }
  port.close();
}

void main();
