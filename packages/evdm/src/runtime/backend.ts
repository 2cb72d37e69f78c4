import { createRequire } from 'node:module';
import { ensureGradients, selectBackend, type BackendChoice, type BackendSelection } from '@evdm/backend';
import { setGroupNormImplementation } from '@evdm/core';

export interface RuntimeInfo extends BackendSelection {
  /** Native oneDNN kernels (`@evdm/backend-native`) active on the host backend. */
  native: { active: boolean; reason: string; kernels: string[] };
  gradients: string;
}

interface NativeModule {
  loadNative(): { ok: true; version: string; threads: number } | { ok: false; reason: string };
  registerNativeKernels(backend: 'wasm' | 'cpu'): string[];
  fusedGroupNorm?: Parameters<typeof setGroupNormImplementation>[0];
  nativeWorkerPoolStats?: () => NativePoolStats;
}

/**
 * What the native worker pool did: @evdm/backend-native's NativeWorkerPoolStats, mirrored here like
 * the rest of NativeModule because that package is an optional dependency loaded at run time.
 */
export interface NativePoolStats {
  jobs: number;
  chunks: number;
  workerChunks: number;
  standDowns: number;
  waitMs: number;
  ownMs: number;
}

/** The native worker pool's counters when the native kernels are active (and their addon has a pool), else null. */
export function nativePoolStats(): NativePoolStats | null {
  if (!current?.native.active) return null;
  const { mod } = loadNativeModule();
  return mod?.nativeWorkerPoolStats ? mod.nativeWorkerPoolStats() : null;
}

let current: RuntimeInfo | null = null;

/** Loads `@evdm/backend-native` if it is installed; never throws (native kernels are optional). */
function loadNativeModule(): { mod: NativeModule | null; reason: string } {
  try {
    const req = createRequire(import.meta.url);
    return { mod: req('@evdm/backend-native') as NativeModule, reason: '' };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    return {
      mod: null,
      reason: /Cannot find module '@evdm\/backend-native'/.test(msg) ? 'package not installed' : msg.split('\n')[0],
    };
  }
}

/** No backend forced by the option or EVDM_BACKEND. */
function autoChoice(backend: BackendChoice | undefined): boolean {
  const env = process.env.EVDM_BACKEND;
  return backend === undefined && (env === undefined || env === '' || env === 'auto');
}

/**
 * 'cpu' when the native kernels load and no tfjs-node is installed (which auto would pick first):
 * with them the cpu host is the faster training host (EVDM-L-KTH and MCVD-KTH batch-8 steps only
 * fit there; main job on the old pool-less cpu host 2.03 vs 2.00 steps/s on wasm).
 */
function nativeTrainingHost(): 'cpu' | null {
  const req = createRequire(import.meta.url);
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      req.resolve(pkg);
      return null;
    } catch {
      // not installed
    }
  }
  const { mod } = loadNativeModule();
  return mod && mod.loadNative().ok ? 'cpu' : null;
}

/**
 * Chooses and initialises the TF.js backend for evdm (tfjs-node-gpu → tfjs-node → wasm → cpu, or
 * `EVDM_BACKEND` / the option), registers gradients, and on wasm/cpu plugs in the native oneDNN
 * kernels when available (`EVDM_NATIVE=0` disables them). Prints one status line.
 */
export async function initBackend(
  opts: { backend?: BackendChoice; log?: (line: string) => void; native?: boolean } = {},
): Promise<RuntimeInfo> {
  const log =
    opts.log ??
    ((line: string) => {
      if (process.env.EVDM_LOG !== 'quiet') process.stderr.write(line + '\n');
    });
  let selectionLine = '';
  const wantNative = opts.native ?? process.env.EVDM_NATIVE !== '0';
  const hostForNative = autoChoice(opts.backend) && wantNative ? nativeTrainingHost() : null;
  const sel = await selectBackend({ backend: hostForNative ?? opts.backend, log: (l) => (selectionLine = l) });
  if (hostForNative) {
    sel.reason = `auto: native kernels present, the cpu host trains faster than the wasm host (batch-8 KTH steps do not fit the 4 GB wasm heap; the cpu host recycles output buffers)`;
    selectionLine = `evdm: backend cpu (${sel.reason})`;
  }
  const gradients = ensureGradients();
  const native = { active: false, reason: 'not applicable on the tensorflow backend', kernels: [] as string[] };
  if (sel.name === 'wasm' || sel.name === 'cpu') {
    if (!wantNative) {
      native.reason = 'disabled (EVDM_NATIVE=0)';
    } else {
      const { mod, reason } = loadNativeModule();
      if (!mod) {
        native.reason = `native kernels unavailable: ${reason}`;
      } else {
        const status = mod.loadNative();
        if (!status.ok) {
          native.reason = `native kernels unavailable: ${status.reason}`;
        } else {
          native.kernels = mod.registerNativeKernels(sel.name as 'wasm' | 'cpu');
          if (mod.fusedGroupNorm) setGroupNormImplementation(mod.fusedGroupNorm);
          native.active = true;
          native.reason = `oneDNN ${status.version}, ${status.threads} thread(s), ${native.kernels.length} kernels`;
        }
      }
    }
  }
  current = { ...sel, native, gradients };
  log(
    `${selectionLine || `evdm: backend ${sel.name}`}${sel.name === 'tensorflow' ? '' : `; ${native.active ? 'native ' + native.reason : native.reason}`}`,
  );
  return current;
}

/** The runtime chosen by the last `initBackend` call, or null. */
export function currentRuntime(): RuntimeInfo | null {
  return current;
}
