// Issue 20: strict integer flags, whole-config validation before the first step, up-front memory
// estimates, run directories that are never overwritten, atomic log/result rewrites.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intFlag, parseIntStrict, positiveNumberFlag } from '../src/commands/flags';
import { resolveRunConfig } from '../src/train/run-config';
import { checkNewRunDir, runEvidence } from '../src/train/run-dir';
import { checkMemory, memoryLimit, sampleBytes, trainStepBytes, WASM_HEAP_BYTES } from '../src/runtime/memory-budget';
import { resolveNetworkConfig } from '../src/models/network-config';
import { modelConfig } from '../src/models/presets';
import { fsOps, writeFileAtomic } from '../src/io/atomic-write';
import { TrainMonitor } from '../src/train/monitor';
import { run, tinyRun, tmp, writeConfig } from './cli-run-safety.helpers';

describe('strict integer flags', () => {
  it('accepts decimal digits in range only, naming the flag and the value', () => {
    expect(intFlag('steps', '16', 0)).toBe(16);
    expect(intFlag('seed', '9007199254740991', 0)).toBe(9007199254740991);
    for (const bad of ['', ' ', '0x10', '1e300', '2e300', '1e6', '16.0', '1.5', '+3', '-1', ' 7', 'x']) {
      expect(() => intFlag('steps', bad, 0), JSON.stringify(bad)).toThrow(
        `--steps must be an integer >= 0, got "${bad}" (decimal digits only`,
      );
    }
    expect(() => intFlag('seed', '9007199254740993', 0)).toThrow(
      '--seed 9007199254740993 is too large: integers above 9007199254740991 cannot be represented exactly',
    );
    expect(() => intFlag('trajectories', '0', 1)).toThrow('--trajectories must be an integer >= 1, got "0"');
    expect(() => parseIntStrict('--n', '11', 0, 10)).toThrow('--n must be an integer in [0, 10], got "11"');
    expect(positiveNumberFlag('lr', '2e-4')).toBe(2e-4);
    for (const bad of ['', '0x10', '-1', '0', 'Infinity', '1e999'])
      expect(() => positiveNumberFlag('lr', bad)).toThrow(`--lr must be a positive decimal number, got "${bad}"`);
  });
});

describe('run config validated whole before the first step', () => {
  const base = tinyRun({ steps: 2 });
  const bad = (patch: Record<string, unknown>) => () => resolveRunConfig({ ...base, ...patch }, 'config file r.json');
  it('refuses unknown keys in data and preview, bad preview.sampler/steps, non-integer data.seed', () => {
    expect(bad({ data: { source: 'synthetic', seeed: 1 } })).toThrow(
      'config file r.json: unknown key(s) data.seeed (known: source, seed, squareSize)',
    );
    expect(bad({ data: { source: 'smmnist', smmnist: { digits: 2 } } })).toThrow('unknown key(s) data.smmnist.digits');
    expect(bad({ preview: { sampler: 'ddim', step: 2 } })).toThrow('unknown key(s) preview.step');
    expect(bad({ preview: { sampler: 'euler' } })).toThrow(
      'config file r.json: preview.sampler must be "ddpm" or "ddim", got "euler"',
    );
    expect(bad({ preview: { steps: 5000 } })).toThrow('preview.steps must be an integer in [1, 1000]');
    expect(bad({ data: { source: 'synthetic', seed: 'abc' } })).toThrow(
      'data.seed must be an integer in [0, 2^53 - 1], got "abc"',
    );
    expect(bad({ data: { source: 'synthetic', seed: 1e300 } })).toThrow('data.seed must be an integer');
    expect(bad({ schedule: { T: 1 } })).toThrow(/config file r.json: schedule: .*T must be an integer >= 2/);
    expect(bad({ train: { seed: 1e300 } })).toThrow('seed must be an integer in [0, 2^53 - 1], got 1e+300');
    expect(resolveRunConfig(base).preview).toEqual({});
  });
});

describe('memory estimates', () => {
  const net = resolveNetworkConfig(
    modelConfig('evdm-l', 'smmnist', {
      baseChannels: 16,
      channelMult: [1, 2],
      imageSize: 16,
      attnResolutions: [8],
      headChannels: 16,
      pastFrames: 1,
      currentFrames: 1,
    }),
  );
  const wasm = memoryLimit('wasm');
  it('refuses naming the flag, the estimate and the limit; ordinary sizes pass', () => {
    expect(wasm.bytes).toBe(WASM_HEAP_BYTES);
    expect(() => checkMemory(trainStepBytes(net, 1_000_000), '--batch 1000000', wasm)).toThrow(
      /^--batch 1000000 needs about [\d.]+ (GiB|TiB) of memory \(rough estimate\), more than the 4 GiB wasm heap \(4\.0 GiB\)/,
    );
    expect(() => checkMemory(sampleBytes(net, 4, 1_000_000_000), '--horizon 1000000000', wasm)).toThrow(
      /^--horizon 1000000000 needs about .* more than the 4 GiB wasm heap/,
    );
    expect(() => checkMemory(sampleBytes(net, 10_000_000, 1), '--trajectories 10000000', memoryLimit('cpu'))).toThrow(
      /more than 50% of this machine's .* RAM/,
    );
    checkMemory(trainStepBytes(net, 64), '--batch 64', wasm);
    checkMemory(sampleBytes(net, 100, 30), '--trajectories 100', wasm);
    // paper-size networks at CPU batch sizes pass; the GPU batch 64 of KTH MCVD does not fit a 4 GiB heap
    const kth = resolveNetworkConfig(modelConfig('mcvd', 'kth'));
    checkMemory(trainStepBytes(kth, 8), '--batch 8', wasm);
    expect(() => checkMemory(trainStepBytes(kth, 64), '--batch 64', wasm)).toThrow(/--batch 64 needs about [\d.]+ GiB/);
  });

  it('the CLI refuses before allocating: train --batch, sample --horizon / --trajectories, eval --trajectories', () => {
    const dir = tmp();
    try {
      const cfg = writeConfig(dir, tinyRun({ steps: 1 }));
      const t = run('train', '--config', cfg, '--out', join(dir, 'big'), '--batch', '100000000', '--backend', 'cpu');
      expect(t.status).toBe(1);
      expect(t.stderr).toMatch(
        /evdm: error: --batch 100000000 needs about .* of memory \(rough estimate\), more than 50% of this machine's/,
      );
      expect(existsSync(join(dir, 'big', 'config.json'))).toBe(false);
      const out = join(dir, 'run');
      expect(run('train', '--config', cfg, '--out', out, '--backend', 'cpu').status).toBe(0);
      const s = run('sample', '--checkpoint', out, '--out', join(dir, 's'), '--horizon', '1000000000', '--backend', 'cpu');
      expect(s.stderr).toMatch(/evdm: error: --clips 4 x --trajectories 1 at --horizon 1000000000 needs about .* more than/);
      const s2 = run('sample', '--checkpoint', out, '--out', join(dir, 's'), '--trajectories', '10000000', '--backend', 'cpu');
      expect(s2.stderr).toMatch(/evdm: error: --clips 4 x --trajectories 10000000 at --horizon 1 needs about/);
      const e = run('eval', '--checkpoint', out, '--out', join(dir, 'e'), '--trajectories', '10000000', '--backend', 'cpu');
      expect(e.stderr).toMatch(/evdm: error: --batch 1 x --trajectories 10000000 at --horizon 1 needs about/);
      // strict flags through the CLI (the issue's cases)
      expect(run('train', '--config', cfg, '--out', join(dir, 'x'), '--steps', '').stderr).toContain(
        '--steps must be an integer >= 0, got ""',
      );
      expect(run('train', '--config', cfg, '--out', join(dir, 'x'), '--steps', '0x10').stderr).toContain(
        '--steps must be an integer >= 0, got "0x10"',
      );
      expect(run('train', '--config', cfg, '--out', join(dir, 'x'), '--seed', '1e300').stderr).toContain(
        '--seed must be an integer >= 0, got "1e300"',
      );
      expect(run('train', '--config', cfg, '--out', join(dir, 'x'), '--seed', '9007199254740993').stderr).toContain(
        '--seed 9007199254740993 is too large',
      );
      expect(existsSync(join(dir, 'x'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('run directories: never overwrite what is not ours', () => {
  it('a directory that looks like a run is a run; --force never writes over foreign files', () => {
    const dir = tmp();
    try {
      expect(() => checkNewRunDir(join(dir, 'new'))).not.toThrow();
      mkdirSync(join(dir, 'empty'));
      expect(() => checkNewRunDir(join(dir, 'empty'))).not.toThrow();
      for (const [name, evidence] of [
        ['config.json', 'it holds config.json'],
        ['train.jsonl', 'it holds train.jsonl'],
        ['step-40', 'it holds step-40'],
        ['checkpoints/step-3', 'it holds checkpoints/step-3'],
      ]) {
        const d = join(dir, `r-${name.replace('/', '-')}`);
        mkdirSync(join(d, name.endsWith('.json') || name.endsWith('.jsonl') ? '' : name), { recursive: true });
        if (name.includes('.')) writeFileSync(join(d, name), '{}');
        expect(runEvidence(d)).toBe(evidence);
        for (const force of [false, true])
          expect(() => checkNewRunDir(d, { force })).toThrow(
            `already holds a training run; continue it with --resume ${d} or pick another --out (${evidence}`,
          );
      }
      const foreign = join(dir, 'photos');
      mkdirSync(foreign);
      writeFileSync(join(foreign, 'a.jpg'), 'x');
      expect(() => checkNewRunDir(foreign)).toThrow(/is not empty \(a\.jpg\): pick a new or empty directory, or add --force/);
      expect(() => checkNewRunDir(foreign, { force: true })).not.toThrow();
      writeFileSync(join(foreign, 'loss.svg'), 'mine');
      expect(() => checkNewRunDir(foreign, { force: true })).toThrow(/holds loss\.svg, which a run would overwrite/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('train --out . beside the user config.json and train.jsonl refuses and changes nothing', () => {
    const dir = tmp();
    try {
      const cfg = writeConfig(dir, tinyRun({ steps: 1 }));
      const cfgPath = join(dir, 'config.json');
      writeFileSync(cfgPath, readFileSync(cfg));
      writeFileSync(join(dir, 'train.jsonl'), '{"mine":1}\n');
      const before = readdirSync(dir).sort();
      const r = run('train', '--config', cfgPath, '--out', dir, '--backend', 'cpu');
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`already holds a training run; continue it with --resume ${dir}`);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(readFileSync(join(dir, 'train.jsonl'), 'utf8')).toBe('{"mine":1}\n');
      expect(readFileSync(cfgPath, 'utf8')).toBe(readFileSync(cfg, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resume replaces train.jsonl atomically: a failure at that moment leaves the history intact', () => {
    const dir = tmp();
    const original = { ...fsOps };
    try {
      const log = ['{"step":1,"loss":1}', '{"step":2,"loss":0.5}', '{"step":3,"loss":0.4}'].join('\n') + '\n';
      writeFileSync(join(dir, 'train.jsonl'), log);
      fsOps.renameSync = () => {
        throw Object.assign(new Error('killed'), { code: 'EINTR' });
      };
      expect(() => new TrainMonitor({ outDir: dir, totalSteps: 5, startStep: 2, tty: false, write: () => {} })).toThrow(
        /cannot write training log .*train\.jsonl: killed/,
      );
      expect(readFileSync(join(dir, 'train.jsonl'), 'utf8')).toBe(log);
      expect(readdirSync(dir)).toEqual(['train.jsonl']);
      Object.assign(fsOps, original);
      const m = new TrainMonitor({ outDir: dir, totalSteps: 5, startStep: 2, logEvery: 1, tty: false, write: () => {} });
      m.onStep({ step: 3, loss: 0.3, gradNorm: 1, lr: 1e-3 });
      expect(
        readFileSync(join(dir, 'train.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).step),
      ).toEqual([1, 2, 3]);
    } finally {
      Object.assign(fsOps, original);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writeFileAtomic on ENOSPC: names the file, keeps the old content, leaves no temporary or 0-byte file', () => {
    const dir = tmp();
    const original = { ...fsOps };
    try {
      const p = join(dir, 'eval.json');
      writeFileSync(p, 'old');
      fsOps.writeSync = () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
      expect(() => writeFileAtomic(p, 'new', 'results')).toThrow(`cannot write results ${p}: no space left on device (ENOSPC)`);
      expect(readFileSync(p, 'utf8')).toBe('old');
      expect(readdirSync(dir)).toEqual(['eval.json']);
      expect(() => writeFileAtomic(join(dir, 'grid.png'), 'x', 'PNG')).toThrow(/cannot write PNG .*grid\.png: no space left/);
      expect(readdirSync(dir)).toEqual(['eval.json']);
    } finally {
      Object.assign(fsOps, original);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
