// The evaluation tables' protocols, the paper-scale train configs they print, pooling in training
// sources, and the CLI's answer when checkpoints are missing. No training here.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../../../test-utils/tf';
import { paperProtocols, paperTrainConfig, EVAL_TABLES } from '../src/eval/reproduce-eval';
import { makeClipSource, resolveRunConfig } from '../src/train/run-config';
import { DenoisingUNet } from '../src/models/unet';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, EVDM_LOG: 'quiet' } });

describe('evaluation protocols', () => {
  beforeAll(useCpu);

  it("follow the paper's captions, and every table covers MCVD, EVDM and EVDM-L", () => {
    const t3 = paperProtocols('table3')[0];
    expect([t3.dataset, t3.mode, t3.past, t3.current, t3.horizon, t3.trajectories]).toEqual(['bair', 'predict', 1, 5, 15, 100]);
    const t4 = paperProtocols('table4')[0];
    expect([t4.dataset, t4.past, t4.horizon]).toEqual(['kth', 10, 30]);
    expect(t4.rows.map((r) => `${r.model}@${r.steps}`)).toEqual(['mcvd@100', 'evdm-l@100', 'evdm@100', 'evdm@1000']);
    for (const t of ['table5', 'table6'] as const) expect(paperProtocols(t)[0]).toMatchObject({ mode: 'generate', horizon: 16 });
    expect(paperProtocols('table7').map((p) => [p.dataset, p.past + p.future, p.current, p.trajectories])).toEqual([
      ['smmnist', 10, 5, 10],
      ['kth', 10, 5, 10],
      ['bair', 4, 5, 100],
    ]);
    for (const t of EVAL_TABLES.filter((x) => x !== 'table9')) {
      for (const p of paperProtocols(t)) expect(new Set(p.rows.map((r) => r.model))).toEqual(new Set(['mcvd', 'evdm', 'evdm-l']));
    }
  });

  it('the train configs printed for missing checkpoints are valid run configs with the protocol frame layout', () => {
    for (const t of EVAL_TABLES.filter((x) => x !== 'table9')) {
      for (const p of paperProtocols(t)) {
        for (const model of ['mcvd', 'evdm', 'evdm-l'] as const) {
          const cfg = resolveRunConfig(paperTrainConfig(model, p, '/data/x'), `${t} ${model}`);
          const net = cfg.network;
          // the presets build (zoo tests); the interpolation variants change the frames: build those once
          if (p.task === 'interp' && t === 'table7') expect(() => new DenoisingUNet(net)).not.toThrow();
          expect([net.pastFrames, net.currentFrames, net.futureFrames], `${t} ${p.dataset} ${model}`).toEqual([
            p.past,
            p.current,
            p.future,
          ]);
          expect(net.imageSize).toBe(64);
        }
      }
    }
  });

  it('data.imageSize average-pools dataset frames for training, and bad values are named', async () => {
    const network = {
      arch: 'evdm',
      baseChannels: 16,
      channelMult: [1, 2],
      imageSize: 16,
      attnResolutions: [8],
      imageChannels: 1,
      pastFrames: 1,
      currentFrames: 1,
    };
    const cfg = resolveRunConfig({ network, data: { source: 'smmnist', imageSize: 16, prefetch: 0 } });
    const src = makeClipSource(cfg.data, cfg.network, 2);
    const b = await src.next();
    expect(b.current.shape).toEqual([2, 16, 16, 1]);
    const v = b.current.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    tf.dispose([b.past!, b.current]);
    await src.close?.();
    expect(() => resolveRunConfig({ network, data: { source: 'kth', path: 'x', imageSize: 0 } }, 'run.json')).toThrow(
      /run.json: data.imageSize must be a positive integer .* got 0/,
    );
  });

  it('reproduce without checkpoints writes the paper-scale train configs and says what to run', () => {
    const out = mkdtempSync(join(tmpdir(), 'evdm-repro-missing-'));
    try {
      const r = run('reproduce', 'table4', '--out', out, '--backend', 'cpu');
      expect(r.status).toBe(1);
      for (const m of ['mcvd', 'evdm-l', 'evdm']) {
        expect(r.stderr).toContain(`evdm train --config ${join(out, 'train-configs', `kth-${m}.json`)} --out runs/kth-${m}`);
        const cfg = JSON.parse(readFileSync(join(out, 'train-configs', `kth-${m}.json`), 'utf8'));
        expect(cfg).toMatchObject({ network: { preset: { model: m, dataset: 'kth' } }, train: { steps: 400000, batchSize: 64 } });
      }
      expect(r.stderr).toMatch(/first convert the data: evdm-convert kth/);
      expect(r.stderr).toMatch(/or run the whole path at tiny scale: evdm reproduce table4 --smoke/);
      expect(existsSync(join(out, 'eval'))).toBe(false);
      expect(run('reproduce', 'table7', '--checkpoint-mcvd', out).stderr).toMatch(/--checkpoint-<model> is ambiguous for table7/);
      expect(run('reproduce', 'table99').stderr).toMatch(
        /unknown table "table99".*evaluation tables table3, table4, table5, table6, table7, table9/,
      );
      expect(run('reproduce', 'table3', '--data-path', 'a', '--trajectories', '0').stderr).toMatch(
        /--trajectories must be an integer >= 1, got "0"/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
