// Issue 20: "good" checkpoints are finite and bounded (a diverged state is never checkpointed and the
// error says what to change); resume cross-checks the checkpoint against the run config and its
// counters; a corrupt checkpoint is refused by eval instead of "beating" copy-last-frame.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useCpu } from '../../../test-utils/tf';
import { Trainer, TrainingDivergedError, StepsBelowCheckpointError } from '../src/train/trainer';
import { SyntheticClipSource } from '../src/data/synthetic';
import { TABLE8_VARIANTS } from '../src/models/presets';
import type { NetworkConfigInput } from '../src/models/network-config';
import { resolveNetworkConfig } from '../src/models/network-config';
import { run, tinyRun, tmp, writeConfig } from './cli-run-safety.helpers';

const tinyNet = {
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 16,
  attnResolutions: [8],
  imageChannels: 1,
  pastFrames: 2,
  currentFrames: 1,
  headChannels: 8,
  ...TABLE8_VARIANTS['EVDM-L'],
} as NetworkConfigInput;
const train = { batchSize: 1, lr: 1e-3, warmup: 2, seed: 11, logEvery: 1, checkpointEvery: 1, steps: 2 };
const data = () => new SyntheticClipSource({ batchSize: 1, imageSize: 16, past: 2, current: 1, seed: 5 });

describe('trainer: good checkpoints and resume cross-checks', () => {
  beforeAll(useCpu);

  it('never checkpoints diverged weights (|w| ~ 1e30): the error names the last good checkpoint and what to change', async () => {
    const root = tmp();
    try {
      const t = new Trainer({ network: tinyNet, train, data: data(), checkpointDir: root });
      await t.run({ shouldStop: () => true }); // one step + its checkpoint
      expect(t.lastCheckpoint).toBe(join(root, 'step-1'));
      await t.trainStep();
      const v = t.store.read(t.store.specs[0].name) as tf.Variable;
      v.assign(tf.fill(v.shape, 1e30));
      const err = await t.saveCheckpoint().catch((e) => e);
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect(err.message).toMatch(
        /training diverged at step 2: the weights reached \|w\| = 1\.0000000150474662e\+30 \(bound 1e\+6\), not checkpointed; stopped, the last good checkpoint \(finite weights, \|w\| <= 1e\+6\) is .*step-1; to go on, lower train\.lr \(now 0\.001, e\.g\. 0\.0001\) or lengthen train\.warmup \(now 2, e\.g\. 100\)/,
      );
      expect(existsSync(join(root, 'step-2'))).toBe(false);
      t.dispose();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a checkpoint of another network config, an inconsistent Adam step, and fewer steps than done', async () => {
    const root = tmp();
    try {
      const t = new Trainer({ network: tinyNet, train, data: data(), checkpointDir: root });
      await t.run();
      t.dispose();
      const other = resolveNetworkConfig({ ...tinyNet, baseChannels: 16 } as NetworkConfigInput);
      await expect(Trainer.resume(root, { data: data(), network: other })).rejects.toThrow(
        /checkpoint .*step-2 does not belong to this run: network\.baseChannels = 8 \(checkpoint\) vs 16 \(run config\)/,
      );
      await expect(Trainer.resume(root, { data: data(), train: { steps: 1 } })).rejects.toBeInstanceOf(StepsBelowCheckpointError);
      await expect(Trainer.resume(root, { data: data(), schedule: { T: 500 } })).rejects.toThrow(
        /does not belong to this run: schedule\.T = 1000 \(checkpoint\) vs 500 \(run config\)/,
      );
      await expect(Trainer.resume(root, { data: data(), train: { batchSize: 4 } })).rejects.toThrow(
        /train\.batchSize = 1 \(checkpoint\) vs 4 \(run config\)/,
      );
      // an old-format checkpoint (no state checksum) with an edited Adam step counter
      const metaPath = join(root, 'step-2', 'meta.json');
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      delete meta.stateSha256;
      meta.state.adamStep = 0;
      writeFileSync(metaPath, JSON.stringify(meta));
      await expect(Trainer.resume(join(root, 'step-2'), { data: data() })).rejects.toThrow(
        /is inconsistent: its Adam step counter is 0, its step is 2/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('built CLI: corrupt and foreign checkpoints', { timeout: 120_000 }, () => {
  it('eval and sample refuse same-size random bytes in params.bin; resume refuses a C0=32 checkpoint in a C0=16 run', () => {
    const dir = tmp();
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      const cfg16 = tinyRun({ steps: 1 });
      expect(run('train', '--config', writeConfig(dir, cfg16), '--out', a, '--backend', 'cpu').status).toBe(0);
      const cfg32 = { ...cfg16, network: { ...cfg16.network, baseChannels: 32 } };
      expect(run('train', '--config', writeConfig(dir, cfg32), '--out', b, '--backend', 'cpu').status).toBe(0);
      // the C0=32 checkpoint copied into the C0=16 run (as the issue did)
      rmSync(join(a, 'checkpoints'), { recursive: true });
      const cp = run('train', '--resume', a, '--steps', '3', '--backend', 'cpu');
      expect(cp.stderr).toMatch(/no checkpoint that verifies/);
      cpSync(join(b, 'checkpoints'), join(a, 'checkpoints'), { recursive: true });
      const r = run('train', '--resume', a, '--steps', '3', '--backend', 'cpu');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /evdm: error: checkpoint .*step-1 does not belong to this run: network\.baseChannels = 32 \(checkpoint\) vs 16 \(run config\)/,
      );
      // same-size random (finite) bytes in params.bin
      const p = join(b, 'checkpoints', 'step-1', 'params.bin');
      const n = readFileSync(p).byteLength / 4;
      writeFileSync(p, Buffer.from(new Float32Array(n).map((_, i) => Math.cos(i * 7.1)).buffer));
      for (const cmd of ['eval', 'sample']) {
        const e = run(
          cmd,
          '--checkpoint',
          join(b, 'checkpoints', 'step-1'),
          '--out',
          join(dir, cmd),
          '--sampler',
          'ddim',
          '--steps',
          '2',
          '--clips',
          '1',
          '--backend',
          'cpu',
        );
        expect(e.status, cmd).toBe(1);
        expect(e.stderr).toMatch(
          /evdm: error: checkpoint .*step-1 is corrupt: params\.bin does not match its sha256 in meta\.json/,
        );
      }
      // through the run directory: nothing verifies
      const e2 = run('eval', '--checkpoint', b, '--out', join(dir, 'e2'), '--backend', 'cpu');
      expect(e2.status).toBe(1);
      expect(e2.stderr).toMatch(/warning: skipping checkpoint .*step-1 is corrupt: params\.bin/);
      expect(e2.stderr).toMatch(/no checkpoint that verifies there/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
