// Output-buffer pool of the cpu host. Writing into a fresh Float32Array page-faults once per 4 KB
// (~11 µs each on some VMs: a fresh output then fills at ~0.4 GB/s instead of tens of GB/s), so the
// native kernels take their outputs from a size-keyed free list fed by disposed tensors.
//
// Safety: only arrays the pool allocated are ever recycled, and only if they never escaped:
// tfjs-backend-cpu hands its internal array out from readSync/read (dataSync, bufferSync, data) and
// any array given to write/move (tf.tensor(values), a stock kernel sharing or sub-viewing an input)
// becomes storage of another tensor. Both mark the array's buffer as escaped, for good.
import { totalmem } from 'node:os';
import { util, type DataType, type TensorInfo } from '@tensorflow/tfjs-core';

interface CpuBackendLike {
  // DataStorage.get of a missing id asks the engine to move the data over: test with has() first
  data: { has(dataId: object): boolean; get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  write(values: unknown, shape: number[], dtype: DataType): object;
  move(dataId: object, values: unknown, shape: number[], dtype: DataType, refCount: number): void;
}

export interface PoolStats {
  enabled: boolean;
  /** Arrays handed out from the free lists. */
  reused: number;
  /** Arrays allocated fresh (free list empty). */
  fresh: number;
  /** Bytes held in the free lists now. */
  freeBytes: number;
  capBytes: number;
  /** Bytes of pool arrays held by live tensors now, and their peak: free + live never exceeds the peak. */
  liveBytes: number;
  peakLiveBytes: number;
  /** Disposed pool arrays put on a free list, and those dropped again to stay under the cap. */
  released: number;
  evicted: number;
  /** Pool arrays that escaped (read out or shared) and so are never recycled. */
  escaped: number;
}

/** Default hard cap on free bytes: half the machine's memory (the live-peak bound below is the usual limit). */
const defaultCapBytes = () => Math.floor(totalmem() / 2);
/**
 * free + live <= PEAK_SLACK · peak live. 1 would be the no-pool peak, but then each fresh array of a
 * new size evicts one that the next step needs (measured on EVDM-L-KTH: 1,428 fresh arrays per step
 * at 1, 115 unbounded); 2 leaves room for the step's mix of sizes.
 */
const PEAK_SLACK = 2;
/** Outputs smaller than this are allocated fresh: V8's small arrays live on its heap (no faults). */
const MIN_ELEMENTS = 1024;

export function poolCapFromEnv(env: Record<string, string | undefined>): number {
  if (env.EVDM_POOL === '0') return 0;
  const raw = env.EVDM_POOL_MB;
  if (raw === undefined || raw.trim() === '') return defaultCapBytes();
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`EVDM_POOL_MB must be a non-negative number of megabytes, got '${raw}'`);
  return Math.floor(mb * 2 ** 20);
}

/** One pool per cpu backend instance; installs its hooks on the instance (not the class). */
export class BufferPool {
  private readonly owned = new WeakSet<ArrayBuffer>();
  private readonly escaped = new WeakSet<ArrayBuffer>();
  /** length → free arrays; Map order is least recently used size first. */
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  private liveBytes = 0;
  private peakLiveBytes = 0;
  private adopting: ArrayBuffer | null = null;
  private reused = 0;
  private fresh = 0;
  private released = 0;
  private evicted = 0;
  private escapes = 0;

  constructor(
    private readonly backend: CpuBackendLike,
    readonly capBytes: number,
  ) {
    if (capBytes > 0) this.install();
  }

  get enabled(): boolean {
    return this.capBytes > 0;
  }

  /** A float32 tensor of `shape` on the backend; zero-filled only when `zero` (fresh arrays are). */
  alloc(shape: number[], zero = false): TensorInfo {
    const n = util.sizeFromShape(shape);
    const b = this.backend;
    if (!this.enabled || n < MIN_ELEMENTS) return b.makeTensorInfo(shape, 'float32', new Float32Array(n));
    let arr = this.take(n);
    if (arr) {
      this.reused++;
      if (zero) arr.fill(0);
    } else {
      this.fresh++;
      arr = new Float32Array(n);
      this.owned.add(arr.buffer as ArrayBuffer);
    }
    this.liveBytes += arr.byteLength;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    // a fresh array (no free one of its size) displaces free ones: free + live pool memory stays
    // under PEAK_SLACK times the peak of live tensors (what the process needed without a pool)
    this.trim();
    this.adopting = arr.buffer as ArrayBuffer;
    try {
      return b.makeTensorInfo(shape, 'float32', arr);
    } finally {
      this.adopting = null;
    }
  }

  stats(): PoolStats {
    const { enabled, reused, fresh, freeBytes, capBytes, liveBytes, peakLiveBytes, released, evicted } = this;
    return { enabled, reused, fresh, freeBytes, capBytes, liveBytes, peakLiveBytes, released, evicted, escaped: this.escapes };
  }

  /** Drops every free array (they are garbage-collected). */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  private take(n: number): Float32Array | undefined {
    const list = this.free.get(n);
    const arr = list?.pop();
    if (arr) this.freeBytes -= arr.byteLength;
    return arr;
  }

  private release(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buf = values.buffer as ArrayBuffer;
    if (!this.owned.has(buf) || this.escaped.has(buf) || values.byteOffset !== 0 || values.byteLength !== buf.byteLength) return;
    const n = values.length;
    let list = this.free.get(n);
    if (list) this.free.delete(n);
    else list = [];
    this.free.set(n, list); // most recently used size last
    list.push(values);
    this.released++;
    this.freeBytes += values.byteLength;
    this.liveBytes -= values.byteLength;
    this.trim();
  }

  /** Drops free arrays of the least recently released sizes until under both bounds. */
  private trim(): void {
    const limit = Math.min(this.capBytes, Math.max(0, PEAK_SLACK * this.peakLiveBytes - this.liveBytes));
    if (this.freeBytes <= limit) return;
    for (const [len, l] of this.free) {
      if (this.freeBytes <= limit) break;
      while (l.length > 0 && this.freeBytes > limit) {
        this.freeBytes -= (l.pop() as Float32Array).byteLength;
        this.evicted++;
      }
      if (l.length === 0) this.free.delete(len);
    }
  }

  private escape(values: unknown): void {
    if (ArrayBuffer.isView(values) && this.owned.has(values.buffer as ArrayBuffer) && values.buffer !== this.adopting) {
      if (this.escaped.has(values.buffer as ArrayBuffer)) return;
      this.escapes++;
      this.escaped.add(values.buffer as ArrayBuffer);
      // no longer tracked: it is freed by the garbage collector whenever its last user lets go
      this.liveBytes -= (values.buffer as ArrayBuffer).byteLength;
    }
  }

  private install(): void {
    const b = this.backend;
    const disposeData = b.disposeData.bind(b);
    const readSync = b.readSync.bind(b);
    const write = b.write.bind(b);
    const move = b.move.bind(b);
    b.disposeData = (dataId, force = false) => {
      const values = b.data.has(dataId) ? b.data.get(dataId)?.values : undefined;
      const gone = disposeData(dataId, force);
      if (values !== undefined && !b.data.has(dataId)) this.release(values);
      return gone;
    };
    b.readSync = (dataId) => {
      const values = readSync(dataId);
      this.escape(values);
      return values;
    };
    b.write = (values, shape, dtype) => {
      this.escape(values);
      return write(values, shape, dtype);
    };
    b.move = (dataId, values, shape, dtype, refCount) => {
      this.escape(values);
      move(dataId, values, shape, dtype, refCount);
    };
  }
}

const POOL_KEY = Symbol.for('@evdm/backend-native/buffer-pool');

/** The pool of a cpu backend instance (created and hooked on first use; EVDM_POOL=0 or EVDM_POOL_MB=0 disables it). */
export function poolFor(backend: unknown, env: Record<string, string | undefined> = process.env): BufferPool {
  const b = backend as CpuBackendLike & { [POOL_KEY]?: BufferPool };
  return (b[POOL_KEY] ??= new BufferPool(b, poolCapFromEnv(env)));
}
