/**
 * A restricted unpickler for the `data.pkl` of a `torch.save` zip archive. It executes nothing: it
 * understands the opcodes pickle protocols 2-5 use for plain data, and only the globals torch needs
 * to describe tensors (its tensor rebuilders, storage types, OrderedDict). Any other GLOBAL, e.g.
 * `os system` or `builtins eval`, is an error naming it, raised before anything is called.
 */

/** A tensor as the pickle describes it; its bytes live in the archive entry `data/<storageKey>`. */
export interface TorchTensorRef {
  kind: 'tensor';
  dtype: TorchDtype;
  storageKey: string;
  /** Element offset into the storage. */
  offset: number;
  shape: number[];
  stride: number[];
}

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** A global the unpickler allows: a storage type marker or a callable with a fixed, data-only meaning. */
interface PyGlobal {
  kind: 'global';
  name: string;
}

interface StorageRef {
  kind: 'storage';
  dtype: TorchDtype;
  key: string;
}

/** Python tuples are kept apart from lists only by this marker class. */
export class PyTuple extends Array<unknown> {}

/** Python's dict (and OrderedDict): keys may be strings or numbers. */
export type PyDict = Map<unknown, unknown>;

const ALLOWED_CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

function fail(msg: string): never {
  throw new Error(`torch checkpoint pickle: ${msg}`);
}

function resolveGlobal(module: string, name: string): PyGlobal {
  const full = `${module}.${name}`;
  if (module === 'torch' && name in STORAGE_DTYPES) return { kind: 'global', name: full };
  if (ALLOWED_CALLABLES.has(full)) return { kind: 'global', name: full };
  fail(
    `refusing GLOBAL ${full}: only torch's tensor rebuilders, storage types and collections.OrderedDict are allowed (nothing is executed)`,
  );
}

function callGlobal(fn: unknown, args: unknown): unknown {
  if (!fn || (fn as PyGlobal).kind !== 'global') fail(`REDUCE on a non-callable ${typeof fn}`);
  const name = (fn as PyGlobal).name;
  const a = args as unknown[];
  if (!Array.isArray(a)) fail(`REDUCE of ${name} without an argument tuple`);
  switch (name) {
    case 'collections.OrderedDict':
      return new Map();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = a as [StorageRef, number, number[], number[]];
      if (!storage || storage.kind !== 'storage') fail(`${name}: first argument is not a storage`);
      const ints = (v: unknown, what: string) => {
        if (!Array.isArray(v) || v.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
          fail(`${name}: bad ${what} ${JSON.stringify(v)}`);
        return [...(v as number[])];
      };
      const shape = ints(size, 'size');
      const strides = ints(stride, 'stride');
      if (shape.length !== strides.length) fail(`${name}: size [${shape}] and stride [${strides}] differ in rank`);
      if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)
        fail(`${name}: bad storage offset ${String(offset)}`);
      const t: TorchTensorRef = { kind: 'tensor', dtype: storage.dtype, storageKey: storage.key, offset, shape, stride: strides };
      return t;
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const data = a[0] as TorchTensorRef;
      if (!data || data.kind !== 'tensor') fail(`${name}: first argument is not a tensor`);
      return data;
    }
    default:
      fail(`refusing to call ${name}`);
  }
}

function persistentLoad(pid: unknown): StorageRef {
  // ('storage', storage_type, key, location, numel)
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) fail(`unsupported persistent id ${JSON.stringify(pid)}`);
  const type = pid[1] as PyGlobal;
  const short = type?.kind === 'global' ? type.name.replace(/^torch\./, '') : '';
  const dtype = STORAGE_DTYPES[short];
  if (!dtype) fail(`unsupported storage type ${type?.name ?? String(type)}`);
  if (typeof pid[2] !== 'string' || !/^[\w.-]+$/.test(pid[2])) fail(`bad storage key ${JSON.stringify(pid[2])}`);
  return { kind: 'storage', dtype, key: pid[2] };
}

const MARK = Symbol('mark');

/** Parses pickle bytes into JS values: dicts become Maps, tuples PyTuple, tensors TorchTensorRef. */
export function unpickle(buf: Uint8Array): unknown {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) fail(`truncated at byte ${pos} (needs ${n} more of ${buf.length})`);
  };
  const u8 = () => (need(1), buf[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const bytes = (n: number) => (need(n), (pos += n), buf.subarray(pos - n, pos));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('truncated text argument');
    const s = dec.decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail(`stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail(`MARK missing at byte ${pos}`);
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0) fail(`stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof Map)) fail(`SETITEM on a ${Array.isArray(d) ? 'list' : typeof d}`);
    for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const tuple = (items: unknown[]) => {
    const t = new PyTuple();
    t.push(...items);
    return t;
  };
  const longBytes = (b: Uint8Array) => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        bytes(8);
        break; // FRAME
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x29:
        stack.push(tuple([]));
        break; // EMPTY_TUPLE
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x8a:
        stack.push(longBytes(bytes(u8())));
        break; // LONG1
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break; // BINFLOAT (big-endian)
      case 0x58:
        stack.push(dec.decode(bytes(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(dec.decode(bytes(u8())));
        break; // SHORT_BINUNICODE
      case 0x8d: {
        const lo = u32();
        const hi = u32();
        if (hi) fail('string too long');
        stack.push(dec.decode(bytes(lo)));
        break;
      } // BINUNICODE8
      case 0x43:
        stack.push(bytes(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(bytes(u32()).slice());
        break; // BINBYTES
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x85:
        stack.push(tuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x74:
        stack.push(tuple(popMark()));
        break; // TUPLE
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64: {
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x61: {
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail('APPEND to a non-list');
        l.push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail('APPENDS to a non-list');
        l.push(...items);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        stack.push(resolveGlobal(String(module), String(name)));
        break;
      } // STACK_GLOBAL
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(callGlobal(fn, args));
        break;
      } // REDUCE
      case 0x51:
        stack.push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x62: {
        // BUILD: only state dicts on OrderedDicts (torch's `_metadata`), which carry no weights
        const state = pop();
        const obj = top();
        if (!(obj instanceof Map)) fail(`BUILD on a ${typeof obj} (only OrderedDict state is accepted)`);
        if (state !== null && !(state instanceof Map) && !(state instanceof PyTuple)) fail('BUILD with an unexpected state');
        break;
      }
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}
