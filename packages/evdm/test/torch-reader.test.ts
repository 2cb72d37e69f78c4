// The torch.save reader against a file torch wrote (fixtures/mcvd/dtypes.pt, see its README):
// every storage dtype, a transposed view, an offset slice, a Parameter, a 0-d tensor, plain values.
import { describe, expect, it } from 'vitest';
import { readTorchCheckpoint, isTensorRef } from '../src/interop/torch-checkpoint';
import { PyTuple, unpickle } from '../src/interop/torch-pickle';
import { readSafetensors, encodeSafetensors, parseSafetensors } from '../src/interop/safetensors';
import { fixturePath } from './mcvd-fixtures.helpers';

describe('torch.save reader', () => {
  it('reads every tensor as torch stored it', () => {
    const ck = readTorchCheckpoint(fixturePath('dtypes', 'pt'));
    const expected = readSafetensors(fixturePath('dtypes', 'io.safetensors'));
    const root = ck.root as Map<string, unknown>;
    const tensors = root.get('tensors') as Map<string, unknown>;
    expect([...tensors.keys()]).toEqual(expected.names);
    for (const name of expected.names) {
      const ref = tensors.get(name);
      if (!isTensorRef(ref)) throw new Error(`${name} is not a tensor`);
      const got = ck.tensor(ref);
      const want = expected.read(name);
      expect(got.shape, name).toEqual(want.shape);
      expect(Array.from(got.data), name).toEqual(Array.from(want.data));
    }
    const meta = root.get('meta');
    expect(meta).toBeInstanceOf(PyTuple);
    expect([...(meta as PyTuple)]).toEqual([1, 2.5, 'x', null, true]);
  });
  it('refuses globals outside the tensor rebuilders, before calling anything', () => {
    const enc = new TextEncoder();
    const pickle = (module: string, name: string) =>
      new Uint8Array([0x80, 0x02, 0x63, ...enc.encode(`${module}\n${name}\n`), 0x29, 0x52, 0x2e]);
    expect(() => unpickle(pickle('builtins', 'eval'))).toThrow(/refusing GLOBAL builtins\.eval/);
    expect(() => unpickle(pickle('torch', 'load'))).toThrow(/refusing GLOBAL torch\.load/);
    expect(() => unpickle(pickle('collections', 'OrderedDict'))).not.toThrow();
    expect(() => unpickle(new Uint8Array([0x80, 0x02, 0x5d]))).toThrow(/truncated/);
    expect(() => unpickle(new Uint8Array([0x80, 0x02, 0x69]))).toThrow(/unsupported opcode 0x69/);
  });
});

describe('safetensors', () => {
  it('round-trips tensors and metadata; rejects truncated files', () => {
    const t = [
      { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'é', shape: [], data: Float32Array.from([7]) },
    ];
    const bytes = encodeSafetensors(t, { k: 'v' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ k: 'v' });
    expect(f.names).toEqual(['a', 'é']);
    expect(Array.from(f.read('a').data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f.read('é').shape).toEqual([]);
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 'cut.safetensors')).toThrow(
      /cut\.safetensors: tensor "é" ends at byte .* \(truncated\)/,
    );
    expect(() => parseSafetensors(new TextEncoder().encode('not a safetensors file'), 'x')).toThrow(/x: header length/);
  });
});
