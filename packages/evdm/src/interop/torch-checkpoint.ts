/**
 * Reads `torch.save` files (the zip format of torch >= 1.6): `<archive>/data.pkl` describes the
 * object, `<archive>/data/<key>` hold the raw little-endian storages. The pickle is parsed by the
 * restricted unpickler of torch-pickle.ts; tensors come out as float32 arrays.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { bfloat16ToNumber, float16ToNumber } from './half-floats';
import { PyTuple, unpickle, type PyDict, type TorchDtype, type TorchTensorRef } from './torch-pickle';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface TorchCheckpoint {
  /** The saved object: dicts are Maps, tuples PyTuple, tensors TorchTensorRef. */
  root: unknown;
  /** Materialises a tensor as contiguous float32 (every dtype torch writes is converted). */
  tensor(ref: TorchTensorRef): HostTensor;
}

const BYTES: Record<TorchDtype, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

function fail(path: string, msg: string): never {
  throw new Error(`${path}: ${msg}`);
}

function readElement(view: DataView, dtype: TorchDtype, i: number): number {
  switch (dtype) {
    case 'float32':
      return view.getFloat32(i * 4, true);
    case 'float64':
      return view.getFloat64(i * 8, true);
    case 'float16':
      return float16ToNumber(view.getUint16(i * 2, true));
    case 'bfloat16':
      return bfloat16ToNumber(view.getUint16(i * 2, true));
    case 'int64':
      return Number(view.getBigInt64(i * 8, true));
    case 'int32':
      return view.getInt32(i * 4, true);
    case 'int16':
      return view.getInt16(i * 2, true);
    case 'int8':
      return view.getInt8(i);
    case 'uint8':
    case 'bool':
      return view.getUint8(i);
  }
}

/** Reads a torch zip checkpoint file; every error names the file and what is wrong with it. */
export function readTorchCheckpoint(path: string): TorchCheckpoint {
  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (e) {
    fail(path, `cannot read: ${(e as Error).message}`);
  }
  return parseTorchCheckpoint(file, path);
}

/** Parses the bytes of a torch zip checkpoint (no file system: usable in a browser). */
export function parseTorchCheckpoint(file: Uint8Array, path = 'checkpoint'): TorchCheckpoint {
  if (file.length >= 2 && file[0] === 0x80 && file[1] <= 5) {
    fail(
      path,
      'is a legacy (pre-1.6, non-zip) torch.save file, which is not supported: re-save it with torch >= 1.6, e.g. torch.save(torch.load(f), "new.pt")',
    );
  }
  if (file.length < 4 || file[0] !== 0x50 || file[1] !== 0x4b || file[2] !== 0x03 || file[3] !== 0x04) {
    fail(path, 'is not a PyTorch checkpoint (no zip signature; expected a file written by torch.save)');
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(file);
  } catch (e) {
    fail(path, `is truncated or corrupt (zip: ${(e as Error).message})`);
  }
  const pkl = Object.keys(entries).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) fail(path, 'is a zip archive but not a torch checkpoint (no <archive>/data.pkl)');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = entries[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order) !== 'little') fail(path, 'stores big-endian tensors, which are not supported');
  let root: unknown;
  try {
    root = unpickle(entries[pkl]);
  } catch (e) {
    fail(path, (e as Error).message);
  }
  return {
    root,
    tensor(ref: TorchTensorRef): HostTensor {
      const raw = entries[`${prefix}data/${ref.storageKey}`];
      if (!raw) fail(path, `storage ${ref.storageKey} is missing from the archive`);
      const size = ref.shape.reduce((a, b) => a * b, 1);
      const bytes = BYTES[ref.dtype];
      let last = ref.offset;
      for (let d = 0; d < ref.shape.length; d++) if (ref.shape[d] > 0) last += (ref.shape[d] - 1) * ref.stride[d];
      if (size > 0 && (last + 1) * bytes > raw.length) {
        fail(
          path,
          `storage ${ref.storageKey} has ${raw.length} bytes, too few for a ${ref.dtype} tensor of shape [${ref.shape}] (truncated?)`,
        );
      }
      const out = new Float32Array(size);
      const contiguous = ref.stride.every(
        (s, d) => s === ref.shape.slice(d + 1).reduce((a, b) => a * b, 1) || ref.shape[d] === 1,
      );
      if (ref.dtype === 'float32' && contiguous && raw.byteOffset % 4 === 0) {
        out.set(new Float32Array(raw.buffer, raw.byteOffset + ref.offset * 4, size));
        return { shape: ref.shape, data: out };
      }
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const idx = new Array<number>(ref.shape.length).fill(0);
      for (let i = 0; i < size; i++) {
        let e = ref.offset;
        for (let d = 0; d < idx.length; d++) e += idx[d] * ref.stride[d];
        out[i] = readElement(view, ref.dtype, e);
        for (let d = idx.length - 1; d >= 0; d--) {
          if (++idx[d] < ref.shape[d]) break;
          idx[d] = 0;
        }
      }
      return { shape: ref.shape, data: out };
    },
  };
}

export function isTensorRef(v: unknown): v is TorchTensorRef {
  return !!v && typeof v === 'object' && (v as TorchTensorRef).kind === 'tensor';
}

/** A state_dict (Map of name -> tensor) from a pickled value, or null if it is not one. */
export function asStateDict(v: unknown): Map<string, TorchTensorRef> | null {
  if (!(v instanceof Map) || v.size === 0) return null;
  for (const [k, t] of v) if (typeof k !== 'string' || !isTensorRef(t)) return null;
  return v as Map<string, TorchTensorRef>;
}

export { PyTuple, type PyDict };
