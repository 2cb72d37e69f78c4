// TFRecord framing (uint64 length, masked crc32c of the length, data, masked crc32c of the data)
// and the part of tf.train.Example BAIR needs (bytes features), written from the format spec.
import { DatasetError } from './errors';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli). */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC. */
export function maskedCrc(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Splits a TFRecord file into records, checking both CRCs of every record. */
export function readTfRecords(buf: Uint8Array, file: string): Uint8Array[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < buf.length) {
    if (o + 12 > buf.length) throw new DatasetError(file, `truncated TFRecord header at byte ${o}`);
    const len = Number(dv.getBigUint64(o, true));
    if (dv.getUint32(o + 8, true) !== maskedCrc(buf.subarray(o, o + 8)))
      throw new DatasetError(file, `bad length CRC in record ${out.length} at byte ${o}`);
    const start = o + 12;
    if (start + len + 4 > buf.length)
      throw new DatasetError(file, `truncated TFRecord data in record ${out.length} (needs ${len} bytes)`);
    const data = buf.subarray(start, start + len);
    if (dv.getUint32(start + len, true) !== maskedCrc(data))
      throw new DatasetError(file, `bad data CRC in record ${out.length} at byte ${o}`);
    out.push(data);
    o = start + len + 4;
  }
  return out;
}

/** Frames records as a TFRecord file. */
export function writeTfRecords(records: Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const r of records) {
    const head = Buffer.alloc(12);
    head.writeBigUInt64LE(BigInt(r.length), 0);
    head.writeUInt32LE(maskedCrc(head.subarray(0, 8)), 8);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(maskedCrc(r), 0);
    parts.push(head, Buffer.from(r), tail);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function varint(buf: Uint8Array, o: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (o >= buf.length) throw new Error('varint past end');
    const b = buf[o++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, o];
    mul *= 128;
  }
}

/** Iterates (field number, wire type, payload or value) of one protobuf message. */
function* fields(buf: Uint8Array): Generator<[number, number, Uint8Array | number]> {
  let o = 0;
  while (o < buf.length) {
    const [key, o1] = varint(buf, o);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const [v, o2] = varint(buf, o1);
      o = o2;
      yield [field, wire, v];
    } else if (wire === 2) {
      const [len, o2] = varint(buf, o1);
      if (o2 + len > buf.length) throw new Error('length-delimited field past end');
      o = o2 + len;
      yield [field, wire, buf.subarray(o2, o)];
    } else if (wire === 5) {
      o = o1 + 4;
      yield [field, wire, 0];
    } else if (wire === 1) {
      o = o1 + 8;
      yield [field, wire, 0];
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** Parses a tf.train.Example and returns its bytes_list features (first value of each). */
export function parseExampleBytes(record: Uint8Array, file: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  try {
    for (const [f1, , features] of fields(record)) {
      if (f1 !== 1 || !(features instanceof Uint8Array)) continue;
      for (const [f2, , entry] of fields(features)) {
        if (f2 !== 1 || !(entry instanceof Uint8Array)) continue;
        let key = '';
        let value: Uint8Array | undefined;
        for (const [f3, , p] of fields(entry)) {
          if (f3 === 1 && p instanceof Uint8Array) key = new TextDecoder().decode(p);
          if (f3 === 2 && p instanceof Uint8Array) {
            for (const [f4, , list] of fields(p)) {
              if (f4 === 1 && list instanceof Uint8Array)
                for (const [f5, , b] of fields(list)) if (f5 === 1 && b instanceof Uint8Array && !value) value = b;
            }
          }
        }
        if (value) out.set(key, value);
      }
    }
  } catch (e) {
    throw new DatasetError(file, `corrupt tf.train.Example: ${(e as Error).message}`);
  }
  return out;
}

function lenField(field: number, payload: Uint8Array): Uint8Array {
  const head: number[] = [field * 8 + 2];
  let n = payload.length;
  while (n >= 0x80) {
    head.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  head.push(n);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

const cat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));

/** Encodes a tf.train.Example holding bytes features (test fixtures). */
export function encodeExampleBytes(features: Record<string, Uint8Array>): Uint8Array {
  const entries = Object.entries(features).map(([k, v]) =>
    lenField(1, cat([lenField(1, new TextEncoder().encode(k)), lenField(2, lenField(1, lenField(1, v)))])),
  );
  return lenField(1, cat(entries));
}
