// Issue 20: checkpoints verify themselves (sha256, finite and bounded weights), a missing/stale pointer
// or a truncated newest checkpoint falls back to the newest one that verifies, a full disk names the
// file and step and leaves nothing behind, leftovers of crashed writers are cleaned up.
import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu } from '../../../test-utils/tf';
import { cleanCheckpointLeftovers, CheckpointWriteError, latestCheckpoint, writeCheckpoint } from '../src/train/checkpoint';
import { CheckpointError, disposeCheckpoint, findCheckpoint, readCheckpoint } from '../src/train/checkpoint-read';
import { fsOps } from '../src/io/atomic-write';

const original = { ...fsOps };
afterEach(() => Object.assign(fsOps, original));

const tmp = () => mkdtempSync(join(tmpdir(), 'evdm-ckpt-verify-'));
/** Two groups like the trainer's (params, ema), values `v`. */
function groups(v = 0.5, n = 64) {
  const t = () => tf.fill([n], v);
  return { params: [{ name: 'w', tensor: t() }], ema: [{ name: 'w', tensor: t() }] };
}
async function save(root: string, step: number, v = 0.5, n = 64) {
  const g = groups(v, n);
  try {
    return await writeCheckpoint(root, step, g, { adamStep: step, note: 'x' }, { keep: 10 });
  } finally {
    tf.dispose([...g.params, ...g.ema].map((x) => x.tensor));
  }
}
const load = (dir: string, note?: (m: string) => void) => disposeCheckpoint(readCheckpoint(dir, { note }));

describe('checkpoint verification', () => {
  beforeAll(useCpu);

  it('stores a sha256 per file and of the state; same-size random bytes in params.bin or ema.bin are refused', async () => {
    const root = tmp();
    const dir = await save(root, 1);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    expect(meta.groups.params.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.stateSha256).toMatch(/^[0-9a-f]{64}$/);
    load(dir);
    for (const file of ['params.bin', 'ema.bin']) {
      const p = join(dir, file);
      const good = readFileSync(p);
      // random bytes that still decode to finite float32 values (the silent case of the issue)
      const bad = new Float32Array(good.byteLength / 4).map((_, i) => Math.sin(i) * 0.1);
      writeFileSync(p, Buffer.from(bad.buffer));
      expect(() => load(dir)).toThrow(new RegExp(`checkpoint .*step-1 is corrupt: ${file} does not match its sha256`));
      writeFileSync(p, good);
    }
    load(dir);
  });

  it('refuses non-finite weights and diverged (|w| > 1e6) weights, even without checksums', async () => {
    const root = tmp();
    const nan = await save(root, 1, NaN);
    expect(() => load(nan)).toThrow(/holds non-finite weights: params "w" contains NaN/);
    const huge = await save(root, 2, 1e30);
    expect(() => load(huge)).toThrow(/holds diverged weights: params "w" reaches \|w\| = 1\.00e\+30/);
  });

  it('loads a checkpoint written before checksums with a note (users have them)', async () => {
    const root = tmp();
    const dir = await save(root, 3);
    const metaPath = join(dir, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    delete meta.stateSha256;
    for (const g of Object.values(meta.groups) as Array<Record<string, unknown>>) {
      delete g.sha256;
      delete g.bytes;
    }
    writeFileSync(metaPath, JSON.stringify(meta));
    const notes: string[] = [];
    load(dir, (m) => notes.push(m));
    expect(notes.join('\n')).toMatch(/predates checksums \(params\.bin, ema\.bin unverified\)/);
  });

  it('an edited state (an Adam step counter) no longer matches its sha256', async () => {
    const root = tmp();
    const dir = await save(root, 2);
    const metaPath = join(dir, 'meta.json');
    writeFileSync(metaPath, readFileSync(metaPath, 'utf8').replace('"adamStep":2', '"adamStep":7'));
    expect(() => load(dir)).toThrow(/was edited or is corrupt: the state in meta.json .* does not match its sha256/);
  });

  it('--resume scan: a missing latest.json, a stale one and a truncated newest checkpoint fall back to the newest that verifies', async () => {
    const root = tmp();
    for (const s of [1, 2, 3]) await save(root, s);
    // missing pointer
    rmSync(join(root, 'latest.json'));
    let warnings: string[] = [];
    let found = findCheckpoint(root, { warn: (m) => warnings.push(m) })!;
    disposeCheckpoint(found.loaded);
    expect(found.dir).toBe(join(root, 'step-3'));
    expect(warnings.join('\n')).toMatch(/latest\.json is missing: using .*step-3, the newest checkpoint that verifies/);
    // stale pointer (names step-1)
    writeFileSync(join(root, 'latest.json'), JSON.stringify({ step: 1, dir: 'step-1' }));
    warnings = [];
    found = findCheckpoint(root, { warn: (m) => warnings.push(m) })!;
    disposeCheckpoint(found.loaded);
    expect(found.dir).toBe(join(root, 'step-3'));
    expect(warnings.join('\n')).toMatch(/names .*step-1; using .*step-3/);
    // truncated newest: step-2, with a warning naming step-3 and why
    truncateSync(join(root, 'step-3', 'ema.bin'), 100);
    warnings = [];
    found = findCheckpoint(root, { warn: (m) => warnings.push(m) })!;
    disposeCheckpoint(found.loaded);
    expect(found.dir).toBe(join(root, 'step-2'));
    expect(warnings.join('\n')).toMatch(
      /skipping checkpoint .*step-3 is truncated or corrupt: ema\.bin has 100 bytes, its manifest needs 256/,
    );
    // nothing verifies: null
    rmSync(join(root, 'step-2', 'meta.json'));
    rmSync(join(root, 'step-1', 'params.bin'));
    warnings = [];
    expect(findCheckpoint(root, { warn: (m) => warnings.push(m) })).toBeNull();
    expect(warnings).toHaveLength(3);
  });

  it('disk full (ENOSPC injected at ema.bin): names file and step and the last complete checkpoint, removes the partial files', async () => {
    const root = tmp();
    const first = await save(root, 1);
    const pointer = readFileSync(join(root, 'latest.json'), 'utf8');
    let calls = 0;
    fsOps.writeSync = ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
      // params.bin succeeds, the next file (ema.bin) hits a full disk
      if (++calls > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return original.writeSync(fd, buf, off, len);
    }) as typeof fsOps.writeSync;
    const g = groups();
    const err = await writeCheckpoint(root, 2, g, { adamStep: 2 }, { lastComplete: first }).catch((e) => e);
    tf.dispose([...g.params, ...g.ema].map((x) => x.tensor));
    expect(err).toBeInstanceOf(CheckpointWriteError);
    expect(err.code).toBe('ENOSPC');
    expect(err.message).toMatch(
      /cannot write the checkpoint of step 2: .*\.tmp-step-2-\d+\/ema\.bin: no space left on device \(ENOSPC\); removed the partial files; the last complete checkpoint is .*step-1/,
    );
    expect(readdirSync(root).sort()).toEqual(['latest.json', 'step-1']);
    expect(readFileSync(join(root, 'latest.json'), 'utf8')).toBe(pointer);
    load(first);
  });

  it('disk full at the pointer: the new step-N is complete, the error says so, .latest.json.PID is removed', async () => {
    const root = tmp();
    await save(root, 1);
    fsOps.renameSync = ((a: string, b: string) => {
      if (b.endsWith('latest.json'))
        throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
      return original.renameSync(a, b);
    }) as typeof fsOps.renameSync;
    const g = groups();
    const err = await writeCheckpoint(root, 2, g, { adamStep: 2 }).catch((e) => e);
    tf.dispose([...g.params, ...g.ema].map((x) => x.tensor));
    expect(err.message).toMatch(/latest\.json: no space left on device \(ENOSPC\); .* the last complete checkpoint is .*step-2/);
    expect(readdirSync(root).sort()).toEqual(['latest.json', 'step-1', 'step-2']);
    expect(latestCheckpoint(root)).toBe(join(root, 'step-1'));
    // --resume still finds the newer complete one
    const found = findCheckpoint(root)!;
    disposeCheckpoint(found.loaded);
    expect(found.dir).toBe(join(root, 'step-2'));
  });

  it("removes leftovers of crashed writers (dead PIDs) at start, never a live writer's", async () => {
    const root = tmp();
    await save(root, 1);
    const dead = 2 ** 22 + 12345; // above pid_max on Linux: no such process
    mkdirSync(join(root, `.tmp-step-7-${dead}`));
    writeFileSync(join(root, `.tmp-step-7-${dead}`, 'params.bin'), 'partial');
    writeFileSync(join(root, `.latest.json.${dead}`), '{');
    mkdirSync(join(root, `.tmp-step-8-${process.pid}`));
    expect(cleanCheckpointLeftovers(root).sort()).toEqual([`.latest.json.${dead}`, `.tmp-step-7-${dead}`]);
    expect(existsSync(join(root, `.tmp-step-8-${process.pid}`))).toBe(true);
    expect(() => readCheckpoint(join(root, 'nope'))).toThrow(CheckpointError);
  });
});
