// Loads the oneDNN addon once, never throws: the source build (build/Release/evdm_native.node) if the
// install compiled one, else the shipped prebuild (prebuilds/linux-x64), found by node-gyp-build.
// When none loads, the reason says what actually happened (see loadFailureReason).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Counters of the native worker pool (native/pool.h): jobs it ran split, their chunks, the chunks its
 * workers ran (the rest ran on the calling thread), how often it stood down because its workers were
 * not getting CPU time, and the caller's time running chunks and waiting for the workers' last ones.
 */
export interface NativeWorkerPoolStats {
  jobs: number;
  chunks: number;
  workerChunks: number;
  standDowns: number;
  waitMs: number;
  ownMs: number;
}

/** The raw functions of the addon (see native/*.cc). Arrays are float32 views of backend memory. */
export interface NativeAddon {
  /**
   * Sets the thread count, the bounds from which memory-bound passes (bytes) and convs / matmuls
   * (FLOPs) split over OpenMP's threads, and the worker pool (native/pool.h): workers besides the
   * caller (0: none), their spin before sleeping (µs), and its own bounds (bytes, FLOPs).
   */
  init(
    threads: number,
    splitBytes?: number,
    splitFlops?: number,
    poolWorkers?: number,
    spinMicros?: number,
    poolBytes?: number,
    poolFlops?: number,
  ): number;
  /** The worker pool's counters (see NativeWorkerPoolStats). */
  poolStats(): NativeWorkerPoolStats;
  version(): string;
  cacheSize(): number;
  clearCache(): void;
  conv(
    kind: 0 | 1 | 2,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    params: number[],
    alpha?: number,
  ): boolean;
  /** kind 0 forward (a = x, b = filter, bias added), 1 backward data (a = dy), 2 backward weights (a = x, b = dy, bias = dBias out). */
  groupedConv(
    kind: 0 | 1 | 2,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    params: number[],
  ): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    params: number[],
    alpha?: number,
  ): boolean;
  copy(
    src: Float32Array,
    srcOffset: number,
    srcStrides: number[],
    dst: Float32Array,
    dstOffset: number,
    dstStrides: number[],
    shape: number[],
  ): void;
  fill(dst: Float32Array, value: number): void;
  binary(
    op: number,
    a: Float32Array,
    aStrides: number[],
    b: Float32Array,
    bStrides: number[],
    out: Float32Array,
    shape: number[],
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha?: number): void;
  sum(x: Float32Array, shape: number[], outStrides: number[], out: Float32Array): void;
  softmax(x: Float32Array, out: Float32Array, cols: number): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  max(x: Float32Array, outer: number, reduce: number, inner: number, out: Float32Array): void;
  adam(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    paramOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    beta1: number,
    beta2: number,
    lrOverBc1: number,
    bc2: number,
    eps: number,
    clip: number,
  ): void;
  /** out = shadow·rate + x·(1 − rate) (absent from binaries built before it). */
  ema?(shadow: Float32Array, x: Float32Array, out: Float32Array, rate: number): void;
  /** Σ x² over all arrays, in double (absent from binaries built before it). */
  sumSquares?(xs: Float32Array[]): number;
  channelGather(
    srcs: Float32Array[],
    channels: number[],
    perm: Int32Array | number[],
    rows: number,
    addend: Float32Array | null,
    out: Float32Array,
    scale: number,
    addPerm?: Int32Array | null,
  ): void;
  channelScatter(
    dy: Float32Array,
    channels: number[],
    perm: Int32Array | number[],
    rows: number,
    dsrcs: Float32Array[],
    daddend: Float32Array | null,
    scale: number,
    addPerm?: Int32Array | null,
  ): void;
  /** Whether channelGather / channelScatter take `addPerm` (absent from binaries built before it). */
  channelGatherAddPerm?: boolean;
  groupNormForward(
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    scale: Float32Array | null,
    shift: Float32Array | null,
    y: Float32Array,
    params: number[],
    eps: number,
  ): void;
  groupNormBackward(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    scale: Float32Array | null,
    shift: Float32Array | null,
    dx: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
    dscale: Float32Array | null,
    dshift: Float32Array | null,
    params: number[],
    eps: number,
  ): void;
  /** FAVOR+ over heads packed in channels (native/favor_attention.cc; absent from binaries built before it). */
  favorForward?(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    projection: Float32Array,
    out: Float32Array,
    params: number[],
    epsilon: number,
  ): void;
  favorBackward?(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    projection: Float32Array,
    dy: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    params: number[],
    epsilon: number,
  ): void;
  /** out = x · mask: element i dropped when dropoutHash(i, keys) >>> 8 < threshold, else × scale. */
  seededDropout?(x: Float32Array, out: Float32Array, keys: number[], threshold: number, scale: number): void;
}

export type NativeStatus = { ok: true; version: string; threads: number } | { ok: false; reason: string };

let status: NativeStatus | null = null;
let addon: NativeAddon | null = null;

/** This package's directory (src/ and dist/ are both one level down). */
function packageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Path of the source-built addon inside this package. */
export function addonPath(): string {
  return join(packageDir(), 'build', 'Release', 'evdm_native.node');
}

/** The addon node-gyp-build picks (source build first, then a matching prebuild), or null. */
export function resolveAddon(dir = packageDir()): string | null {
  try {
    return (createRequire(import.meta.url)('node-gyp-build') as { path(d: string): string }).path(dir);
  } catch {
    return null;
  }
}

const INSTALL_HINT =
  'run `node node_modules/@evdm/backend-native/scripts/build-native.mjs` (needs libdnnl-dev and g++), or let the ' +
  'install script run: pnpm 10 runs it only for packages in `pnpm.onlyBuiltDependencies` (or `pnpm approve-builds`), npm not with --ignore-scripts';

/**
 * Why no addon could be loaded, from what is on disk (`dir`: the package directory) and the load
 * error if there was one: the install script never ran, it ran and found no headers / no compiler /
 * a failed compile, or a binary exists but a shared library it links (oneDNN) is not installed.
 */
export function loadFailureReason(dir: string, found: string | null, error?: string): string {
  if (error !== undefined) {
    const lib = /(\S+\.so(?:\.\d+)*): cannot open shared object file/.exec(error)?.[1];
    const which = found && found.includes(`${join('prebuilds', '')}`) ? 'the prebuilt addon' : 'the addon';
    if (lib && /dnnl/.test(lib)) {
      return `${which} needs the oneDNN shared library ${lib}, which is not installed: install libdnnl (Debian/Ubuntu: apt-get install libdnnl2, or libdnnl-dev)`;
    }
    if (lib) return `${which} needs the shared library ${lib}, which is not installed (${error.split('\n')[0]})`;
    return `${which} (${found}) failed to load: ${error.split('\n')[0]}`;
  }
  let install: { outcome?: string; message?: string } | null = null;
  try {
    install = JSON.parse(readFileSync(join(dir, 'build', 'install-status.json'), 'utf8'));
  } catch {
    install = null;
  }
  const where = `${process.platform}-${process.arch}`;
  if (!install) return `no prebuilt addon for ${where} and the install script did not run: ${INSTALL_HINT}`;
  const what = install.message?.replace(/^@evdm\/backend-native: /, '') ?? install.outcome;
  return `no prebuilt addon for ${where} and the source build did not produce one (${install.outcome}: ${what})`;
}

/** The prebuilt binary is compiled for x86-64-v3: on an older CPU it would die of SIGILL, so check first. */
function cpuLacksPrebuildIsa(path: string): string | null {
  if (!path.includes(join('prebuilds', '')) || process.platform !== 'linux') return null;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    const missing = ['avx2', 'fma', 'bmi2'].filter((f) => !flags.includes(f));
    return missing.length
      ? `the prebuilt addon needs a CPU with ${missing.join(', ')} (x86-64-v3); build from source: ${INSTALL_HINT}`
      : null;
  } catch {
    return null;
  }
}

/** `EVDM_NATIVE_THREADS` if set (a positive integer), else the machine's available parallelism. */
export function threadCount(env: Record<string, string | undefined> = process.env): number {
  const raw = env.EVDM_NATIVE_THREADS;
  if (raw === undefined || raw.trim() === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`EVDM_NATIVE_THREADS must be a positive integer, got '${raw}'`);
  return n;
}

/**
 * Whether idle OpenMP workers sleep at once (`OMP_WAIT_POLICY=PASSIVE`, the default here) rather than
 * spin briefly after each kernel (libgomp's own default; `EVDM_NATIVE_SPIN=1`, or any other
 * `OMP_WAIT_POLICY` you set). Spinning lets small kernels split over the threads (lower bounds below).
 * Measured on 2 cores (2026-12-06): quiet, EVDM-L-KTH batch-1 sampling ~49 -> ~44 ms and batch-8
 * training ~925 -> ~814 ms with spinning; with one core busy with another process, spinning made them
 * 1.9x and 1.75x SLOWER (113 vs 60 ms, 2.90 vs 1.66 s): so it is opt-in.
 */
export function passiveWait(env: Record<string, string | undefined> = process.env): boolean {
  const policy = env.OMP_WAIT_POLICY;
  if (policy !== undefined && policy.trim() !== '') return /^\s*passive\s*$/i.test(policy);
  return env.EVDM_NATIVE_SPIN !== '1';
}

/**
 * Workers of the native worker pool besides the calling thread: `EVDM_NATIVE_POOL=0` turns it off,
 * else one fewer than the thread count. The pool runs kernels too short for OpenMP's fork / join
 * (batch-1 sampling's convs, matmuls, GroupNorms, gathers) over the cores: the caller takes part,
 * chunks are claimed one by one, and the caller never waits for a worker that has not started, so a
 * core busy with another process costs the step little (measured in docs/benchmarks.md, session 14).
 */
export function poolWorkers(threads: number, env: Record<string, string | undefined> = process.env): number {
  const raw = env.EVDM_NATIVE_POOL;
  if (raw !== undefined && raw.trim() === '0') return 0;
  if (raw !== undefined && raw.trim() !== '' && raw.trim() !== '1')
    throw new Error(`EVDM_NATIVE_POOL must be 0 (off) or 1 (on), got '${raw}'`);
  return Math.max(0, threads - 1);
}

/** µs a pool worker spins after a job before it sleeps (ops of a step come every few tens of µs). */
export const POOL_SPIN_MICROS = 200;
/** Defaults of `EVDM_NATIVE_POOL_BYTES` and `EVDM_NATIVE_POOL_FLOPS`: passes and convs / matmuls from these split over the pool. */
export const DEFAULT_POOL_BYTES = 262144;
export const DEFAULT_POOL_FLOPS = 2e6;

function nonNegative(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return n;
}

/** `EVDM_NATIVE_POOL_BYTES` / `EVDM_NATIVE_POOL_FLOPS` if set, else the defaults above. */
export function poolBounds(env: Record<string, string | undefined> = process.env): { bytes: number; flops: number } {
  return {
    bytes: nonNegative(env, 'EVDM_NATIVE_POOL_BYTES', DEFAULT_POOL_BYTES),
    flops: nonNegative(env, 'EVDM_NATIVE_POOL_FLOPS', DEFAULT_POOL_FLOPS),
  };
}

/** Default of `EVDM_NATIVE_SPLIT_BYTES` (memory-bound kernels), and with spinning workers. */
export const DEFAULT_SPLIT_BYTES = 4194304;
export const SPIN_SPLIT_BYTES = 1048576;
/** Convolutions and matmuls of at least this many FLOPs split over the threads (and with spinning workers). */
export const DEFAULT_SPLIT_FLOPS = 5e7;
export const SPIN_SPLIT_FLOPS = 5e6;

/**
 * `EVDM_NATIVE_SPLIT_BYTES` if set (a non-negative number of bytes), else DEFAULT_SPLIT_BYTES
 * (SPIN_SPLIT_BYTES with spinning workers, see passiveWait): memory-bound kernels moving at least
 * this much split over the threads.
 */
export function splitBytes(env: Record<string, string | undefined> = process.env): number {
  const raw = env.EVDM_NATIVE_SPLIT_BYTES;
  if (raw === undefined || raw.trim() === '') return passiveWait(env) ? DEFAULT_SPLIT_BYTES : SPIN_SPLIT_BYTES;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`EVDM_NATIVE_SPLIT_BYTES must be a non-negative number of bytes, got '${raw}'`);
  return n;
}

/** FLOPs from which convolutions and matmuls split over the threads (see DEFAULT_SPLIT_FLOPS). */
export function splitFlops(env: Record<string, string | undefined> = process.env): number {
  return passiveWait(env) ? DEFAULT_SPLIT_FLOPS : SPIN_SPLIT_FLOPS;
}

/**
 * Loads the addon and sets its thread count. Returns `{ok:false, reason}` (never throws) when it is
 * disabled (`EVDM_NATIVE=0`), there is no binary (no prebuild for this platform and no source build;
 * the reason says whether the install script ran and what it found), or the binary fails to load
 * (e.g. oneDNN's shared library is missing: the reason names it).
 */
export function loadNative(): NativeStatus {
  if (process.env.EVDM_NATIVE === '0') return { ok: false, reason: 'disabled (EVDM_NATIVE=0)' };
  if (status) return status;
  const dir = packageDir();
  const path = resolveAddon(dir);
  if (!path || !existsSync(path)) {
    status = { ok: false, reason: loadFailureReason(dir, null) };
    return status;
  }
  const isa = cpuLacksPrebuildIsa(path);
  if (isa) {
    status = { ok: false, reason: isa };
    return status;
  }
  try {
    const threads = threadCount();
    const split = splitBytes();
    // libgomp reads OMP_WAIT_POLICY when the addon loads it: PASSIVE (idle workers sleep at once) unless
    // the user chose a policy or spinning (EVDM_NATIVE_SPIN=1; see passiveWait)
    if (process.env.OMP_WAIT_POLICY === undefined && passiveWait()) process.env.OMP_WAIT_POLICY = 'PASSIVE';
    const mod = createRequire(import.meta.url)(path) as NativeAddon;
    const pool = poolBounds();
    const actual = mod.init(threads, split, splitFlops(), poolWorkers(threads), POOL_SPIN_MICROS, pool.bytes, pool.flops);
    addon = mod;
    status = { ok: true, version: mod.version(), threads: actual };
  } catch (e) {
    status = { ok: false, reason: loadFailureReason(dir, path, (e as Error).message ?? String(e)) };
  }
  return status;
}

/** The loaded addon; throws a clear error if loadNative() did not succeed. */
export function nativeAddon(): NativeAddon {
  if (!addon) {
    const s = loadNative();
    if (!s.ok) throw new Error(`@evdm/backend-native: native kernels unavailable: ${s.reason}`);
  }
  return addon as NativeAddon;
}
