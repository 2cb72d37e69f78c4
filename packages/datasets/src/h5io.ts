// Thin layer over h5wasm: loads it once, installs the lzf filter plugin MCVD's files need, and turns
// every failure (missing, empty, truncated, corrupt file; missing or malformed dataset) into a
// DatasetError naming the file and the problem.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError } from './errors';

type H5Module = typeof import('h5wasm/node');
type H5File = InstanceType<H5Module['File']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;

/** HDF5 filter id of lzf (registered by h5py; MCVD's frames use it). */
export const LZF_FILTER_ID = 32000;
/** Where the HDF5 inside h5wasm looks for filter plugins (its default plugin path). */
export const H5_PLUGIN_DIR = '/usr/local/hdf5/lib/plugin';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

let h5Promise: Promise<H5Module> | null = null;
let lzfProblem: string | null = null;

/**
 * The h5wasm Node build uses the real file system (NODERAWFS), so its plugin directory is a real
 * directory. We copy h5wasm-plugins' `libH5Zlzf.so` there once; if that is not possible (no write
 * permission) reading lzf data later fails with an error that says how to fix it.
 */
function installLzfPlugin(): void {
  const target = join(H5_PLUGIN_DIR, 'libH5Zlzf.so');
  try {
    const req = createRequire(import.meta.url);
    const source = join(dirname(req.resolve('h5wasm-plugins/package.json')), 'plugins', 'libH5Zlzf.so');
    const bytes = readFileSync(source);
    if (existsSync(target) && readFileSync(target).equals(bytes)) return;
    mkdirSync(H5_PLUGIN_DIR, { recursive: true });
    writeFileSync(target, bytes);
  } catch (e) {
    lzfProblem =
      `the lzf filter plugin could not be installed at ${target} (${(e as Error).message}); ` +
      `copy node_modules/h5wasm-plugins/plugins/libH5Zlzf.so there by hand`;
  }
}

/** The HDF5 library's own error-stack text of the last failure (its "minor" lines), for our messages. */
let hdf5Diagnostics: string[] = [];

/**
 * The HDF5 C library prints its whole error stack (~20 lines of "HDF5-DIAG ... #003 ... minor: ...")
 * to fd 2 on every failed call, before our clear error. Route h5wasm's writes to fd 2 into a buffer
 * instead (EVDM_DEBUG keeps them on stderr); the last "minor" line is appended to our error.
 */
function captureHdf5Diagnostics(fs: { write: (...args: never[]) => number } | null | undefined): void {
  if (!fs || typeof fs.write !== 'function' || process.env.EVDM_DEBUG) return;
  const write = fs.write;
  fs.write = function (this: unknown, ...args: never[]) {
    const [stream, buffer, offset, length] = args as unknown as [{ fd?: number; nfd?: number } | null, Int8Array, number, number];
    if (stream && (stream.fd === 2 || stream.nfd === 2) && ArrayBuffer.isView(buffer)) {
      const text = Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).toString('utf8');
      if (/HDF5-DIAG/.test(text)) hdf5Diagnostics = [];
      hdf5Diagnostics.push(
        ...text
          .split('\n')
          .filter((l) => /^\s*minor:/.test(l))
          .map((l) => l.replace(/^\s*minor:\s*/, '')),
      );
      if (hdf5Diagnostics.length > 50) hdf5Diagnostics.splice(0, hdf5Diagnostics.length - 50);
      return length;
    }
    return write.apply(this, args);
  } as typeof fs.write;
}

/** `: <HDF5's last reason>` for an error message, or '' (and clears it). */
function hdf5Reason(): string {
  const last = hdf5Diagnostics[hdf5Diagnostics.length - 1];
  hdf5Diagnostics = [];
  return last ? `: ${last}` : '';
}

/** Loads h5wasm (ESM-only, hence the dynamic import) and the lzf plugin. */
export function loadH5(): Promise<H5Module> {
  if (!h5Promise) {
    h5Promise = (async () => {
      const mod = (await import('h5wasm/node')) as H5Module;
      const wasm = (await mod.ready) as unknown as { FS?: { write: (...args: never[]) => number } };
      captureHdf5Diagnostics(wasm?.FS ?? (mod as unknown as { FS?: { write: (...args: never[]) => number } }).FS);
      installLzfPlugin();
      return mod;
    })();
  }
  return h5Promise;
}

/** Checks a path is a non-empty file with the HDF5 signature before h5wasm sees it. */
export function checkHdf5File(path: string): void {
  if (!existsSync(path)) throw new DatasetError(path, 'file does not exist');
  const st = statSync(path);
  if (!st.isFile()) throw new DatasetError(path, 'is not a regular file');
  if (st.size === 0) throw new DatasetError(path, 'HDF5 file is empty (0 bytes)');
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) {
    throw new DatasetError(path, 'not an HDF5 file (missing HDF5 signature at byte 0) or corrupt header');
  }
}

/** Opens an HDF5 file for reading with clear errors for missing, empty, truncated or corrupt files. */
export async function openH5Read(path: string): Promise<H5File> {
  checkHdf5File(path);
  const h5 = await loadH5();
  let f: H5File;
  try {
    f = new h5.File(path, 'r');
  } catch (e) {
    throw new DatasetError(path, `cannot open HDF5 file (truncated or corrupt?): ${(e as Error).message}`);
  }
  if (!f || (f as unknown as { file_id: bigint }).file_id < 0n) {
    throw new DatasetError(path, `cannot open HDF5 file (truncated or corrupt${hdf5Reason()})`);
  }
  return f;
}

/** Creates (truncates) an HDF5 file for writing. */
export async function openH5Write(path: string): Promise<H5File> {
  const h5 = await loadH5();
  mkdirSync(dirname(path), { recursive: true });
  try {
    return new h5.File(path, 'w');
  } catch (e) {
    throw new DatasetError(path, `cannot create HDF5 file: ${(e as Error).message}`);
  }
}

function getDataset(f: H5File, file: string, name: string): H5Dataset {
  let entity: unknown;
  try {
    entity = f.get(name);
  } catch (e) {
    throw new DatasetError(file, `cannot read "${name}" (corrupt file?): ${(e as Error).message}`);
  }
  if (!entity) throw new DatasetError(file, `missing dataset "${name}"`);
  if (!('shape' in (entity as object)) || !('dtype' in (entity as object))) {
    throw new DatasetError(file, `"${name}" is a group, expected a dataset`);
  }
  return entity as H5Dataset;
}

function readValue(ds: H5Dataset, file: string, name: string): unknown {
  let v: unknown;
  try {
    v = ds.value;
  } catch (e) {
    v = e;
  }
  if (v === null || v === undefined || v instanceof Error) {
    const usesLzf = safeFilters(ds).includes(LZF_FILTER_ID);
    const why = v instanceof Error ? `: ${v.message}` : '';
    if (usesLzf && lzfProblem) throw new DatasetError(file, `cannot decode lzf dataset "${name}": ${lzfProblem}`);
    throw new DatasetError(file, `cannot read dataset "${name}" (truncated or corrupt data${why || hdf5Reason()})`);
  }
  return v;
}

function safeFilters(ds: H5Dataset): number[] {
  try {
    return ds.filters.map((x) => x.id);
  } catch {
    return [];
  }
}

/** Reads an integer scalar such as `len/<i>` or `num_train`. */
export function readIntScalar(f: H5File, file: string, name: string): number {
  const ds = getDataset(f, file, name);
  const v = readValue(ds, file, name);
  const x =
    typeof v === 'bigint'
      ? Number(v)
      : typeof v === 'number'
        ? v
        : ArrayBuffer.isView(v)
          ? Number((v as unknown as ArrayLike<number | bigint>)[0])
          : NaN;
  if (!Number.isFinite(x) || !Number.isInteger(x) || x < 0) {
    throw new DatasetError(file, `dataset "${name}" should hold a non-negative integer, got ${String(v)}`);
  }
  return x;
}

/**
 * Reads one uint8 frame dataset and checks it is `[h, w]` (grayscale) or `[h, w, c]`.
 * Returns the pixels in HWC order.
 */
export function readFrame(f: H5File, file: string, name: string, h: number, w: number, c: number): Uint8Array {
  const ds = getDataset(f, file, name);
  const shape = ds.shape ?? [];
  const ok =
    (shape.length === 2 && c === 1 && shape[0] === h && shape[1] === w) ||
    (shape.length === 3 && shape[0] === h && shape[1] === w && shape[2] === c);
  if (!ok) {
    throw new DatasetError(
      file,
      `frame "${name}" has shape [${shape.join(', ')}], expected [${h}, ${w}${c === 1 ? '' : `, ${c}`}]` +
        (shape.length === 3 && shape[0] === h && shape[1] === w ? ` (wrong channel count ${shape[2]}, expected ${c})` : ''),
    );
  }
  const v = readValue(ds, file, name);
  if (!(v instanceof Uint8Array)) {
    throw new DatasetError(file, `frame "${name}" has dtype ${JSON.stringify(ds.dtype)}, expected uint8`);
  }
  return v;
}

/** Keys of a group, sorted numerically (MCVD names videos and frames "0", "1", ...). */
export function groupKeys(f: H5File, file: string, name: string): string[] {
  let g: unknown;
  try {
    g = f.get(name);
  } catch (e) {
    throw new DatasetError(file, `cannot read group "${name}": ${(e as Error).message}`);
  }
  if (!g || typeof (g as { keys?: unknown }).keys !== 'function') {
    throw new DatasetError(file, `missing group "${name}"`);
  }
  return (g as { keys(): string[] }).keys();
}

/** Options for writing frames: MCVD uses lzf, which h5wasm cannot write; gzip or none here. */
export type FrameCompression = 'gzip' | 'none';

/** Writes one uint8 frame ([h, w] when c = 1, else [h, w, c]). */
export function writeFrame(
  f: H5File,
  name: string,
  pixels: Uint8Array,
  h: number,
  w: number,
  c: number,
  compression: FrameCompression = 'gzip',
): void {
  const shape = c === 1 ? [h, w] : [h, w, c];
  f.create_dataset({
    name,
    data: pixels,
    shape,
    dtype: '<B',
    ...(compression === 'gzip' ? { chunks: shape, compression: 'gzip' as const, compression_opts: 4 } : {}),
  });
}

/** Writes an int64 scalar (MCVD's `len/<i>`, `person/<i>`, `target/<i>`, `num_train`). */
export function writeIntScalar(f: H5File, name: string, value: number): void {
  f.create_dataset({ name, data: BigInt64Array.of(BigInt(value)), shape: [], dtype: '<q' });
}

export type { H5File };
