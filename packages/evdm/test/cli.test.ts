// Runs the BUILT CLI with plain node, as users and other tools do (fixed subcommands and JSON keys).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, EVDM_LOG: 'quiet' } });

function writeGrayPng(path: string, w: number, h: number, value: (x: number, y: number) => number) {
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  const buf = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf[y * w + x] = value(x, y);
  png.data = buf;
  writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

describe('evdm CLI (built)', () => {
  it('reproduce table2 --json prints the row contract', () => {
    const r = run('reproduce', 'table2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      expect(row.table).toBe('table2');
      expect(['smmnist', 'kth', 'bair', 'ucf101']).toContain(row.dataset);
      expect(['mcvd', 'evdm', 'evdm-l']).toContain(row.model);
      expect(Number.isInteger(row.params)).toBe(true);
      expect(typeof row.gflops).toBe('number');
    }
  });

  it('reproduce table1 --json has level and kind; unknown tables are refused clearly', () => {
    const rows = JSON.parse(run('reproduce', 'table1', '--json').stdout);
    expect(
      rows.every(
        (r: { level: number; kind: string }) => [1, 2, 3, 4].includes(r.level) && ['conv', 'attention'].includes(r.kind),
      ),
    ).toBe(true);
    const bad = run('reproduce', 'table99');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown table "table99"/);
  });

  it('profile --config builds any network and rejects bad configs with the key named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-cli-'));
    const good = join(dir, 'net.json');
    writeFileSync(good, JSON.stringify({ preset: { model: 'evdm-l', dataset: 'kth' } }));
    const r = run('profile', '--config', good, '--batch', '64', '--json');
    expect(r.status, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(Number.isInteger(p.params)).toBe(true);
    expect(Math.abs(p.params - 20.4e6) / 20.4e6).toBeLessThan(0.05);
    expect(p.levels).toHaveLength(4);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ arch: 'evdm', baseChannels: 96, brp: { delta: 5 } }));
    const e = run('profile', '--config', bad);
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/brp\.delta 5 must divide every level width/);
    expect(run('profile', '--config', join(dir, 'missing.json')).stderr).toMatch(/cannot read config file .*missing\.json/);
  });

  it('profile --measured cross-checks the analytic count with the kernels that run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-cli-'));
    const cfg = join(dir, 'small.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        preset: { model: 'evdm-l', dataset: 'smmnist' },
        imageSize: 16,
        channelMult: [1, 2],
        attnResolutions: [8],
        baseChannels: 16,
        headChannels: 16,
      }),
    );
    const r = run('profile', '--config', cfg, '--batch', '4', '--json', '--measured');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout).measured;
    expect(m.conv_gflops).toBeGreaterThan(0);
    expect(m.matmul_gflops).toBeGreaterThan(0);
    // only the per-block time projections differ (fvcore leaves them out): a few percent at this size
    expect(m.diff_pct).toBeGreaterThan(0);
    expect(m.diff_pct).toBeLessThan(5);
  });

  it('bench step --json prints the fixed timing record; bad flags are named', () => {
    const r = run('bench', 'step', '--model', 'evdm-l-smmnist', '--backend', 'wasm', '--batch', '1', '--runs', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // the fixed fields, plus the ones added later (mode, params, peak RSS, warm-up steps, native pool)
    expect(Object.keys(j).sort()).toEqual([
      'backend',
      'batch',
      'max_rss_mb',
      'median_ms',
      'mode',
      'model',
      'native_pool',
      'params',
      'runs',
      'warmup',
    ]);
    // plain wasm runs without the native kernels: no worker pool to report
    expect(j.native_pool).toBeNull();
    expect(j).toMatchObject({ model: 'evdm-l-smmnist', backend: 'wasm', batch: 1, mode: 'train', warmup: 2 });
    expect(j.runs).toHaveLength(2);
    expect(j.median_ms).toBeCloseTo((j.runs[0] + j.runs[1]) / 2, 0);
    const table2 = JSON.parse(run('reproduce', 'table2', '--json').stdout) as Array<{
      dataset: string;
      model: string;
      params: number;
    }>;
    expect(j.params).toBe(table2.find((row) => row.dataset === 'smmnist' && row.model === 'evdm-l')!.params);
    // the process held at least the float32 weights, Adam's two moments and the EMA copy
    expect(j.max_rss_mb).toBeGreaterThan((16 * j.params) / 2 ** 20);
    const s = run('bench', 'step', '--model', 'evdm-l-smmnist', '--backend', 'wasm', '--sample', '--runs', '3', '--json');
    expect(s.status, s.stderr).toBe(0);
    const sj = JSON.parse(s.stdout);
    expect(sj).toMatchObject({ model: 'evdm-l-smmnist', backend: 'wasm', batch: 1, mode: 'sample', params: j.params, warmup: 5 });
    expect(sj.runs).toHaveLength(3);
    expect(sj.median_ms).toBe([...sj.runs].sort((a: number, b: number) => a - b)[1]);
    expect(run('bench', 'step', '--model', 'resnet-kth').stderr).toMatch(/--model must be one of mcvd-kth, evdm-kth, evdm-l-kth/);
    expect(run('bench', 'step', '--backend', 'tpu').stderr).toMatch(/--backend must be one of cpu, wasm, native/);
    expect(run('bench', 'step', '--warmup', '-1').stderr).toMatch(/--warmup/);
  });

  it('metrics --json compares PNG videos', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-metrics-'));
    for (const name of ['real', 'fake']) mkdirSync(join(dir, name));
    for (let t = 0; t < 2; t++) {
      writeGrayPng(join(dir, 'real', `${t}.png`), 16, 16, (x, y) => (x * 16 + y * 3 + t * 20) % 256);
      writeGrayPng(join(dir, 'fake', `${t}.png`), 16, 16, (x, y) =>
        Math.min(255, ((x * 16 + y * 3 + t * 20) % 256) + ((x + y) % 2 ? 8 : 0)),
      );
    }
    const r = run('metrics', '--real', join(dir, 'real'), '--fake', join(dir, 'fake'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(Object.keys(m).sort()).toEqual(['psnr', 'ssim', 'ssim_uniform7']);
    // half the pixels off by 8/255 (one saturates at 255 at most): MSE <= 0.5·(8/255)^2
    expect(m.psnr).toBeGreaterThan(10 * Math.log10(1 / (0.5 * (8 / 255) ** 2)) - 0.01);
    expect(m.ssim).toBeLessThan(1);
    expect(m.ssim).toBeGreaterThan(0.5);
    const same = JSON.parse(run('metrics', '--real', join(dir, 'real'), '--fake', join(dir, 'real'), '--json').stdout);
    expect(same.psnr).toBe('Infinity');
    expect(same.ssim).toBeCloseTo(1, 6);
    expect(run('metrics', '--real', join(dir, 'nope'), '--fake', join(dir, 'fake')).stderr).toMatch(/nope does not exist/);
  });
});
