// Shared by the reproduce --smoke tests: run the built CLI and check the rows of one table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

const cli = join(__dirname, '..', 'dist', 'cli.js');

export function smoke(table: string): { rows: Array<Record<string, unknown>>; stderr: string } {
  const out = mkdtempSync(join(tmpdir(), `evdm-smoke-${table}-`));
  try {
    const r = spawnSync(process.execPath, [cli, 'reproduce', table, '--smoke', '--json', '--out', out, '--backend', 'wasm'], {
      encoding: 'utf8',
      env: { ...process.env, EVDM_LOG: 'quiet' },
    });
    expect(r.status, r.stderr).toBe(0);
    return { rows: JSON.parse(r.stdout), stderr: r.stderr };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const fin = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** Every (dataset, model, steps) of the paper's table has a finished row with finite metrics. */
export function checkEvalRows(
  table: string,
  rows: Array<Record<string, unknown>>,
  expected: Array<[string, string, number?]>,
  metrics: { fvd: boolean; psnr: boolean },
): void {
  expect(rows.map((r) => [r.dataset, r.model])).toEqual(expected.map(([d, m]) => [d, m]));
  for (const [i, r] of rows.entries()) {
    expect(r).toMatchObject({ table, status: 'ok', smoke: true, sampler: 'ddpm' });
    if (expected[i][2] !== undefined) expect(r.steps).toBe(expected[i][2]);
    expect(r.step).toBe(2);
    expect(typeof r.paper_method).toBe('string');
    if (metrics.fvd) {
      expect(fin(r.fvd), `fvd of ${r.dataset} ${r.model}`).toBe(true);
      expect(r.fvd as number).toBeGreaterThanOrEqual(-1e-6);
      expect(r.fvd_note).toBe('smoke: random I3D, not a real FVD');
      if (table !== 'table7') expect(typeof r.paper_fvd).toBe('number');
    }
    if (metrics.psnr) {
      expect(fin(r.psnr) && fin(r.ssim)).toBe(true);
      expect(r.ssim as number).toBeLessThanOrEqual(1);
      expect(typeof r.paper_psnr).toBe('number');
      expect(typeof r.paper_ssim).toBe('number');
    } else {
      expect(r.psnr).toBeNull();
    }
  }
}
