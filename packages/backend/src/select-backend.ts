// Run-time choice of the TF.js backend: tfjs-node-gpu, tfjs-node, wasm (+ evdm training
// kernels), cpu, unless the caller or EVDM_BACKEND forces one.
import * as tf from '@tensorflow/tfjs-core';
import { loadOptional, loadTfjsNode, type LoadResult } from './module-loader';
import { loadWasmBackendModule, registerWasmTrainingKernels } from './wasm-kernels/register';

/** Accepted values of the `backend` option and of `EVDM_BACKEND`. */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface SelectBackendOptions {
  /** Backend to use; default: `EVDM_BACKEND` from the environment, else `'auto'`. */
  backend?: BackendChoice;
  /** Receives the one status line; default: stderr, silenced by `EVDM_LOG=quiet`. */
  log?: (line: string) => void;
  /** Install the evdm training kernels when wasm is chosen (default true). */
  wasmTrainingKernels?: boolean;
}

export interface BackendSelection {
  /** tfjs backend name now active: 'tensorflow' | 'wasm' | 'cpu'. */
  name: string;
  /** npm package that provides it. */
  source: string;
  /** Why this one (what was skipped and why). */
  reason: string;
}

/** Injectable environment, so the selection order can be tested without the native packages. */
export interface SelectorDeps {
  load: (specifier: string) => LoadResult;
  env: Record<string, string | undefined>;
}

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

function shortName(pkg: string): string {
  return pkg.replace('@tensorflow/', '');
}

function firstLine(message: string): string {
  return (
    message
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? message
  );
}

/** Validates a backend choice (case-insensitive); `from` names its origin in the error message. */
export function parseBackendChoice(value: string, from: string): BackendChoice {
  const v = value.trim().toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`evdm: ${from} must be one of ${BACKEND_CHOICES.join(', ')}; got '${value}'`);
}

function defaultLog(env: Record<string, string | undefined>): (line: string) => void {
  return (line) => {
    if (env.EVDM_LOG !== 'quiet') process.stderr.write(line + '\n');
  };
}

/** The cpu backend prints a "use tfjs-node" banner on first use; it is noise once we chose cpu. */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

async function tryTensorflow(deps: SelectorDeps, notes: string[]): Promise<BackendSelection | null> {
  for (const pkg of TENSORFLOW_PACKAGES) {
    const loaded = deps.load(pkg);
    if (!loaded.ok) {
      notes.push(loaded.missing ? `${shortName(pkg)} not installed` : `${shortName(pkg)}: ${firstLine(loaded.error.message)}`);
      continue;
    }
    const ok = tf.engine().registryFactory['tensorflow'] != null && (await tf.setBackend('tensorflow'));
    if (ok) return { name: 'tensorflow', source: pkg, reason: '' };
    notes.push(`${shortName(pkg)} loaded but the 'tensorflow' backend did not initialise`);
  }
  return null;
}

async function tryWasm(kernels: boolean, notes: string[]): Promise<BackendSelection | null> {
  try {
    loadWasmBackendModule();
    if (kernels) registerWasmTrainingKernels();
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return {
        name: 'wasm',
        source: '@tensorflow/tfjs-backend-wasm',
        reason: kernels ? 'wasm + evdm training kernels' : 'wasm, stock kernels (no Conv2DBackpropFilter: inference only)',
      };
    }
    notes.push('wasm failed to initialise');
  } catch (err) {
    notes.push(`wasm unavailable: ${firstLine((err as Error).message)}`);
  }
  return null;
}

async function tryCpu(deps: SelectorDeps, notes: string[]): Promise<BackendSelection | null> {
  if (tf.engine().registryFactory['cpu'] == null) {
    const loaded = deps.load('@tensorflow/tfjs-backend-cpu');
    if (!loaded.ok) {
      notes.push(
        loaded.missing ? 'tfjs-backend-cpu not installed' : `tfjs-backend-cpu failed: ${firstLine(loaded.error.message)}`,
      );
      return null;
    }
  }
  if (!(await tf.setBackend('cpu'))) return null;
  silenceCpuBanner();
  return { name: 'cpu', source: '@tensorflow/tfjs-backend-cpu', reason: 'pure JS, slow' };
}

/** selectBackend with injectable module loading and environment (used by tests). */
export async function selectBackendWith(opts: SelectBackendOptions, deps: SelectorDeps): Promise<BackendSelection> {
  const envChoice = deps.env.EVDM_BACKEND;
  const choice: BackendChoice =
    opts.backend !== undefined
      ? parseBackendChoice(opts.backend, 'the backend option')
      : envChoice !== undefined && envChoice !== ''
        ? parseBackendChoice(envChoice, 'EVDM_BACKEND')
        : 'auto';
  const kernels = opts.wasmTrainingKernels ?? true;
  const log = opts.log ?? defaultLog(deps.env);
  const forcedBy = opts.backend !== undefined ? `option backend='${choice}'` : `EVDM_BACKEND=${choice}`;
  const notes: string[] = [];

  let picked: BackendSelection | null = null;
  if (choice === 'auto' || choice === 'tensorflow') picked = await tryTensorflow(deps, notes);
  if (!picked && choice === 'tensorflow') {
    throw new Error(
      `evdm: ${forcedBy} but no tfjs-node backend is usable (${notes.join('; ')}). ` +
        `Install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1) in your project; ` +
        `their install downloads libtensorflow, see the @evdm/backend README for mirrors and custom binaries. ` +
        `Or use EVDM_BACKEND=wasm.`,
    );
  }
  if (!picked && (choice === 'auto' || choice === 'wasm')) picked = await tryWasm(kernels, notes);
  if (!picked && choice === 'wasm') {
    throw new Error(`evdm: ${forcedBy} but ${notes.join('; ')}. Install @tensorflow/tfjs-backend-wasm@4.22.0.`);
  }
  if (!picked) picked = await tryCpu(deps, notes);
  if (!picked) {
    throw new Error(
      `evdm: no TF.js backend could be initialised (${notes.join('; ')}). Install @tensorflow/tfjs-backend-cpu@4.22.0.`,
    );
  }

  const why = [choice === 'auto' ? '' : `forced by ${forcedBy}`, ...notes, picked.reason].filter((s) => s !== '');
  const selection = { ...picked, reason: why.join('; ') };
  log(`evdm: backend ${selection.name} (${selection.reason})`);
  return selection;
}

/**
 * Picks and initialises the TF.js backend: `tensorflow` from @tensorflow/tfjs-node-gpu, then
 * from @tensorflow/tfjs-node, then `wasm` (with the evdm training kernels), then `cpu`.
 * `opts.backend` or `EVDM_BACKEND` forces one; a forced backend that is unavailable throws an
 * error saying what to install. Logs exactly one line saying which backend is active and why.
 */
export function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendSelection> {
  const load = (spec: string) =>
    (TENSORFLOW_PACKAGES as readonly string[]).includes(spec) ? loadTfjsNode(spec) : loadOptional(spec);
  return selectBackendWith(opts, { load, env: process.env });
}
