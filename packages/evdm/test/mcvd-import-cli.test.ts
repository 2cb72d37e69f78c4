// The import / export pipelines end to end: MCVD import -> evdm checkpoint -> safetensors / tfjs
// exports -> imports give identical network outputs, for MCVD, EVDM and EVDM-L; bad inputs are clear
// errors and leave nothing at --out.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../../../test-utils/tf';
import { loadCheckpointModel, resolveCheckpointDir } from '../src/sample/load';
import { modelConfig } from '../src/models/presets';
import { DenoisingUNet } from '../src/models/unet';
import { ParamStore } from '@evdm/core';
import { writeEvdmCheckpoint } from '../src/interop/atomic-output';
import { checkpointWeights, exportModel } from '../src/interop/export-weights';
import { runImportMcvd, runImportSafetensors, runImportTfjs } from '../src/interop/run-import';
import { errors, fixtureIo, fixturePath, nhwc } from './mcvd-fixtures.helpers';

let tmp: string;
beforeAll(async () => {
  await useCpu();
  tmp = mkdtempSync(join(tmpdir(), 'evdm-interop-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The network output of a checkpoint directory on fixed inputs (EMA weights). */
function outputOf(dir: string, x: tf.Tensor4D, t: number[], cond: tf.Tensor4D | null): Float32Array {
  const m = loadCheckpointModel(resolveCheckpointDir(dir));
  try {
    return tf.tidy(() => m.net.apply(m.store.read, x, t, cond).dataSync() as Float32Array);
  } finally {
    m.dispose();
  }
}

describe('evdm import mcvd', () => {
  it('writes a checkpoint that evdm loads and that computes MCVD outputs (EMA and --no-ema model weights)', async () => {
    const out = join(tmp, 'kth');
    const s = await runImportMcvd({ checkpoint: fixturePath('kth', 'pt'), config: fixturePath('kth', 'yml'), out });
    expect(s.keysMapped).toBe(346);
    const io = fixtureIo('kth');
    const x = nhwc(io.get('x'));
    const cond = nhwc(io.get('cond'));
    const t = Array.from(io.get('labels').data).map((l) => 999 - l);
    const nchw = (a: Float32Array) => tf.tidy(() => tf.transpose(tf.tensor4d(a, x.shape), [0, 3, 1, 2]).dataSync());
    expect(errors(nchw(outputOf(out, x, t, cond)), io.get('eps_ema').data).rel).toBeLessThan(1e-5);
    const raw = loadCheckpointModel(resolveCheckpointDir(out), { ema: false });
    const y = tf.tidy(() => raw.net.apply(raw.store.read, x, t, cond).dataSync() as Float32Array);
    raw.dispose();
    expect(errors(nchw(y), io.get('eps_model').data).rel).toBeLessThan(1e-5);
    tf.dispose([x, cond]);
  });
});

describe('export round trips give identical outputs', () => {
  const cases: Array<[string, () => Promise<string>]> = [
    [
      'MCVD (imported SPADE fixture)',
      async () => {
        const out = join(tmp, 'spade');
        await runImportMcvd({ checkpoint: fixturePath('smmnist-spade', 'pt'), config: fixturePath('smmnist-spade', 'yml'), out });
        return out;
      },
    ],
    ...(['evdm', 'evdm-l'] as const).map((model): [string, () => Promise<string>] => [
      model.toUpperCase(),
      async () => {
        const net = new DenoisingUNet(
          modelConfig(model, 'kth', { baseChannels: 16, imageSize: 16, headChannels: 16, attnResolutions: [16, 8] }),
        );
        const store = new ParamStore(net.paramSpecs(), 7);
        const w = Object.entries(store.variables()).map(([name, v]) => ({
          name,
          shape: [...v.shape],
          data: v.dataSync() as Float32Array,
        }));
        store.dispose();
        const out = join(tmp, model);
        await writeEvdmCheckpoint(out, { params: w, ema: w }, { network: net.config, schedule: {} }, 1);
        return out;
      },
    ]),
  ];
  for (const [label, make] of cases) {
    it(`${label}: safetensors and tfjs`, async () => {
      const src = await make();
      const m = loadCheckpointModel(resolveCheckpointDir(src));
      const cfg = m.net.config;
      m.dispose();
      const b = 2;
      const x = tf.randomNormal(
        [b, cfg.imageSize, cfg.imageSize, cfg.currentFrames * cfg.imageChannels],
        0,
        1,
        'float32',
        1,
      ) as tf.Tensor4D;
      const cc = (cfg.pastFrames + cfg.futureFrames) * cfg.imageChannels;
      const cond = tf.randomNormal([b, cfg.imageSize, cfg.imageSize, cc], 0, 1, 'float32', 2) as tf.Tensor4D;
      const ref = outputOf(src, x, [10, 900], cond);
      const st = join(tmp, `${label}.safetensors`.replace(/\W+/g, '_'));
      const tj = join(tmp, `${label}-tfjs`.replace(/\W+/g, '_'));
      await exportModel(checkpointWeights(resolveCheckpointDir(src)), 'safetensors', st);
      await exportModel(checkpointWeights(resolveCheckpointDir(src)), 'tfjs', tj);
      const back1 = await runImportSafetensors({ file: st, out: `${st}-back` });
      const back2 = await runImportTfjs({ dir: tj, out: `${tj}-back` });
      expect(Array.from(outputOf(back1.out, x, [10, 900], cond))).toEqual(Array.from(ref));
      expect(Array.from(outputOf(back2.out, x, [10, 900], cond))).toEqual(Array.from(ref));
      if (cfg.arch === 'mcvd') {
        // MCVD's own names and PyTorch layouts (what MCVD's load_state_dict takes), read back with and without the YAML
        const mc = `${st}-mcvd`;
        await exportModel(checkpointWeights(resolveCheckpointDir(src)), 'safetensors', mc, 'mcvd');
        const back3 = await runImportSafetensors({ file: mc, out: `${mc}-back` });
        const back4 = await runImportSafetensors({
          file: mc,
          out: `${mc}-back-yml`,
          config: fixturePath('smmnist-spade', 'yml'),
        });
        expect(Array.from(outputOf(back3.out, x, [10, 900], cond))).toEqual(Array.from(ref));
        expect(Array.from(outputOf(back4.out, x, [10, 900], cond))).toEqual(Array.from(ref));
      } else {
        await expect(
          exportModel(checkpointWeights(resolveCheckpointDir(src)), 'safetensors', `${st}-mcvd`, 'mcvd'),
        ).rejects.toThrow(/--names mcvd needs an MCVD network/);
      }
      tf.dispose([x, cond]);
    });
  }
});

describe('bad input: clear errors, nothing written', () => {
  const kthPt = fixturePath('kth', 'pt');
  const kthYml = fixturePath('kth', 'yml');
  async function rejects(opts: { checkpoint: string; config: string }, pattern: RegExp) {
    const out = join(tmp, `bad-${Math.random().toString(36).slice(2)}`);
    await expect(runImportMcvd({ ...opts, out })).rejects.toThrow(pattern);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.partial-'))).toEqual([]);
  }
  const write = (name: string, data: Uint8Array | string) => {
    const p = join(tmp, name);
    writeFileSync(p, data);
    return p;
  };

  it('a truncated checkpoint', async () => {
    const bytes = readFileSync(kthPt);
    await rejects(
      { checkpoint: write('trunc.pt', bytes.subarray(0, bytes.length >> 1)), config: kthYml },
      /trunc\.pt: is truncated or corrupt/,
    );
  });
  it('a file that is not a torch checkpoint', async () => {
    await rejects({ checkpoint: write('text.pt', 'hello, world'), config: kthYml }, /not a PyTorch checkpoint/);
    await rejects({ checkpoint: kthYml.replace('.yml', '.io.safetensors'), config: kthYml }, /not a PyTorch checkpoint/);
  });
  it('a legacy (non-zip) torch file', async () => {
    await rejects(
      { checkpoint: write('legacy.pt', new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc])), config: kthYml },
      /legacy .* re-save it with torch >= 1\.6/,
    );
  });
  it('a pickle that asks for os.system', async () => {
    // a torch-style archive whose data.pkl is `os.system("echo pwned")` (protocol 2)
    const { zipSync } = await import('fflate');
    const enc = new TextEncoder();
    const pkl = new Uint8Array([
      0x80,
      0x02,
      0x63,
      ...enc.encode('os\nsystem\n'),
      0x58,
      10,
      0,
      0,
      0,
      ...enc.encode('echo pwned'),
      0x85,
      0x52,
      0x2e,
    ]);
    const p = write('evil.pt', zipSync({ 'evil/data.pkl': [pkl, { level: 0 }] }));
    await rejects({ checkpoint: p, config: kthYml }, /refusing GLOBAL os\.system/);
  });
  it('a config that does not match the checkpoint names the keys and shapes', async () => {
    const yml = readFileSync(kthYml, 'utf8').replace(/ngf: 4\n/, 'ngf: 8\n');
    await rejects(
      { checkpoint: kthPt, config: write('ngf8.yml', yml) },
      /shape mismatch.*unet\.all_modules\.0\.weight is \[16, 4\], the config needs \[32, 8\]/,
    );
    const fewer = readFileSync(kthYml, 'utf8').replace(/num_res_blocks: 2\n/, 'num_res_blocks: 1\n');
    await rejects(
      { checkpoint: kthPt, config: write('nrb1.yml', fewer) },
      /missing key.*unexpected key\(s\): unet\.all_modules\.\d+\.\w+.* \[\d+/,
    );
  });
  it('an unknown or unsupported YAML field', async () => {
    const extra = readFileSync(kthYml, 'utf8').replace('model:\n', 'model:\n  fancy_new_thing: 3\n');
    await rejects({ checkpoint: kthPt, config: write('extra.yml', extra) }, /unknown field "model\.fancy_new_thing"/);
    const threeD = readFileSync(kthYml, 'utf8').replace('arch: unetmore', 'arch: unetmore3d');
    await rejects({ checkpoint: kthPt, config: write('3d.yml', threeD) }, /model\.arch = "unetmore3d".*not supported/);
  });
  it('an existing --out is never overwritten', async () => {
    const out = join(tmp, 'taken');
    await runImportMcvd({ checkpoint: kthPt, config: kthYml, out });
    await expect(runImportMcvd({ checkpoint: kthPt, config: kthYml, out })).rejects.toThrow(/already exists/);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['latest.json', 'step-1000']);
  });
});
