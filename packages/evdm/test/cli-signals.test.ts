// Issue 20: `evdm train` stops on Ctrl-C (SIGINT) and SIGTERM with a checkpoint and exit 130 / 143,
// a second Ctrl-C aborts at once without corrupting anything, and resume continues from the
// checkpoint; `evdm sample` killed by a signal leaves no partial result files. Real child processes.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useCpu } from '../../../test-utils/tf';
import { disposeCheckpoint, readCheckpoint } from '../src/train/checkpoint-read';
import { run, runWithSignals, tinyRun, tmp, writeConfig } from './cli-run-safety.helpers';

const steps = (out: string) =>
  readFileSync(join(out, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).step as number);

describe('evdm train under signals (built CLI, child processes)', { timeout: 180_000 }, () => {
  beforeAll(useCpu);

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} after the first progress line: finishes the step, checkpoints, says so, exits ${code}; resume continues`, async () => {
      const dir = tmp();
      try {
        const out = join(dir, 'run');
        const cfg = writeConfig(dir, tinyRun());
        const r = await runWithSignals(
          ['train', '--config', cfg, '--out', out, '--backend', 'cpu'],
          [{ after: /step 2\/100000/, signal }],
        );
        expect(r.code, r.stderr).toBe(code);
        expect(r.stderr).toMatch(
          new RegExp(`evdm train: ${signal}: finishing step \\d+, then writing a checkpoint and stopping`),
        );
        const m = new RegExp(`stopped by ${signal} at step (\\d+); checkpoint (\\S+); continue with: evdm train --resume`).exec(
          r.stderr,
        );
        expect(m, r.stderr).not.toBeNull();
        const k = Number(m![1]);
        expect(k).toBeGreaterThanOrEqual(2);
        expect(k).toBeLessThan(100000);
        expect(m![2]).toBe(join(out, 'checkpoints', `step-${k}`));
        const ck = readCheckpoint(m![2]); // verifies checksums and finite weights
        expect(ck.meta.step).toBe(k);
        disposeCheckpoint(ck);
        expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step).toBe(k);
        expect(steps(out)).toEqual(Array.from({ length: k }, (_, i) => i + 1));
        // resume continues from step k (and a total below k is refused naming both)
        const low = run('train', '--resume', out, '--steps', String(k - 1), '--backend', 'cpu');
        expect(low.status).toBe(1);
        expect(low.stderr).toContain(`--steps ${k - 1} is below step ${k} of the run in --resume ${out}`);
        const b = run('train', '--resume', out, '--steps', String(k + 2), '--backend', 'cpu');
        expect(b.status, b.stderr).toBe(0);
        expect(b.stderr).toContain(`steps ${k} -> ${k + 2}`);
        expect(steps(out)).toEqual(Array.from({ length: k + 2 }, (_, i) => i + 1));
        expect(existsSync(join(out, 'checkpoints', `step-${k + 2}`, 'meta.json'))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a second Ctrl-C exits at once (130) without corrupting anything: resume picks the newest checkpoint that verifies', async () => {
    const dir = tmp();
    try {
      const out = join(dir, 'run');
      const cfg = writeConfig(dir, tinyRun({ checkpointEvery: 1 }));
      const r = await runWithSignals(
        ['train', '--config', cfg, '--out', out, '--backend', 'cpu'],
        [
          { after: /step 3\/100000/, signal: 'SIGINT' },
          { after: /step 3\/100000/, signal: 'SIGINT', delayMs: 5 },
        ],
      );
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/SIGINT again: aborting now; the last complete checkpoint is .*step-\d+/);
      expect(r.stderr).not.toMatch(/stopped by SIGINT/);
      const b = run('train', '--resume', out, '--steps', '8', '--backend', 'cpu');
      expect(b.status, b.stderr).toBe(0);
      expect(readdirSync(join(out, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
      const ck = readCheckpoint(join(out, 'checkpoints', 'step-8'));
      disposeCheckpoint(ck);
      expect(steps(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].slice(0, steps(out).length));
      expect(steps(out).at(-1)).toBe(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sample killed by SIGINT or SIGTERM while sampling writes no partial result files', async () => {
    const dir = tmp();
    try {
      const out = join(dir, 'run');
      const cfg = writeConfig(dir, tinyRun({ steps: 1 }));
      expect(run('train', '--config', cfg, '--out', out, '--backend', 'cpu').status).toBe(0);
      for (const [signal, code] of [
        ['SIGINT', 130],
        ['SIGTERM', 143],
      ] as const) {
        const s = join(dir, `s-${signal}`);
        const r = await runWithSignals(
          [
            'sample',
            '--checkpoint',
            out,
            '--out',
            s,
            '--sampler',
            'ddpm',
            '--steps',
            '200',
            '--clips',
            '1',
            '--horizon',
            '2',
            '--backend',
            'cpu',
          ],
          [{ after: /sampling predict: \d+\/\d+ steps/, signal }],
        );
        // killed by the signal (shell: 128 + n) or exited with that code
        expect(r.signal === signal || r.code === code, `${r.code} ${r.signal} ${r.stderr}`).toBe(true);
        const files = existsSync(s) ? readdirSync(s) : [];
        for (const f of files) expect(statSync(join(s, f)).size, f).toBeGreaterThan(0);
        expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
        expect(files).not.toContain('sample.json');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
