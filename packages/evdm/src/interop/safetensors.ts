/**
 * safetensors (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`, then the
 * raw little-endian tensor bytes. Small enough to read and write here without a dependency.
 */
import { readFileSync } from 'node:fs';
import type { HostTensor } from './torch-checkpoint';
import { bfloat16ToNumber, float16ToNumber } from './half-floats';

export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** Tensor names in file order. */
  names: string[];
  shape(name: string): number[] | undefined;
  dtype(name: string): string | undefined;
  /** The tensor as float32 (F32, F64, F16, BF16 and integer types are converted). */
  read(name: string): HostTensor;
}

const SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`is ${bytes.length} bytes long, too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n < 2 || 8 + n > bytes.length)
    fail(`header length ${n} does not fit in ${bytes.length} bytes (not a safetensors file, or truncated)`);
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not JSON (${(e as Error).message}): not a safetensors file`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const body = bytes.subarray(8 + n);
  const entries = new Map<string, { dtype: string; shape: number[]; begin: number; end: number }>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header!)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = String(e?.dtype);
    if (!(dtype in SIZES)) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(e?.dtype)}`);
    const shape = e.shape as number[];
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
      fail(`tensor "${name}" has a bad shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(off) || off.length !== 2 || off[1] - off[0] !== count * SIZES[dtype]) {
      fail(`tensor "${name}" has data offsets ${JSON.stringify(off)} that do not hold ${dtype} [${shape}]`);
    }
    if (off[0] < 0 || off[1] > body.length)
      fail(`tensor "${name}" ends at byte ${off[1]} of a ${body.length}-byte body (truncated)`);
    entries.set(name, { dtype, shape, begin: off[0], end: off[1] });
  }
  return {
    metadata,
    names: [...entries.keys()],
    shape: (name) => entries.get(name)?.shape,
    dtype: (name) => entries.get(name)?.dtype,
    read(name) {
      const e = entries.get(name) ?? fail(`has no tensor "${name}"`);
      const raw = body.subarray(e.begin, e.end);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const count = raw.length / SIZES[e.dtype];
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        switch (e.dtype) {
          case 'F32':
            out[i] = dv.getFloat32(i * 4, true);
            break;
          case 'F64':
            out[i] = dv.getFloat64(i * 8, true);
            break;
          case 'F16':
            out[i] = float16ToNumber(dv.getUint16(i * 2, true));
            break;
          case 'BF16':
            out[i] = bfloat16ToNumber(dv.getUint16(i * 2, true));
            break;
          case 'I64':
            out[i] = Number(dv.getBigInt64(i * 8, true));
            break;
          case 'I32':
            out[i] = dv.getInt32(i * 4, true);
            break;
          case 'I16':
            out[i] = dv.getInt16(i * 2, true);
            break;
          case 'I8':
            out[i] = dv.getInt8(i);
            break;
          default:
            out[i] = dv.getUint8(i);
        }
      }
      return { shape: e.shape, data: out };
    },
  };
}

export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/** Serialises float32 tensors (in the given order) with string metadata. */
export function encodeSafetensors(
  tensors: Array<{ name: string; shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header)
      throw new Error(`safetensors: duplicate or reserved tensor name "${t.name}"`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: "${t.name}" has ${t.data.length} values for shape [${t.shape}]`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + 4 * count] };
    off += 4 * count;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20); // body starts 8-byte aligned
  head.set(json);
  const out = new Uint8Array(8 + head.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
