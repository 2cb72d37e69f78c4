// `evdm import` / `evdm export` through the BUILT CLI: JSON summaries, exit codes, one-line errors.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from './mcvd-fixtures.helpers';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, EVDM_LOG: 'quiet' } });

describe('evdm import / export (built CLI)', () => {
  it('import mcvd -> export safetensors and tfjs -> import back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-cli-interop-'));
    try {
      check(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function check(dir: string): void {
  {
    const out = join(dir, 'bair');
    const r = run(
      'import',
      'mcvd',
      '--checkpoint',
      fixturePath('bair', 'pt'),
      '--config',
      fixturePath('bair', 'yml'),
      '--out',
      out,
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ out, weights: 'ema', keysMapped: 254, params: 78219 });
    const meta = JSON.parse(readFileSync(join(s.checkpoint, 'meta.json'), 'utf8'));
    expect(meta.state.source).toMatchObject({ format: 'mcvd', weights: 'ema', epoch: 7, step: 1000, dataset: 'BAIR' });
    const st = join(dir, 'bair.safetensors');
    const e1 = run('export', out, '--format', 'safetensors', '--out', st, '--json');
    expect(e1.status, e1.stderr).toBe(0);
    expect(JSON.parse(e1.stdout)).toMatchObject({ format: 'safetensors', weights: 'ema', tensors: 254, params: 78219 });
    const e2 = run('export', out, '--format', 'tfjs', '--out', join(dir, 'web'));
    expect(e2.status, e2.stderr).toBe(0);
    expect(existsSync(join(dir, 'web', 'model.json'))).toBe(true);
    const b1 = run('import', 'safetensors', '--file', st, '--out', join(dir, 'back-st'), '--json');
    expect(b1.status, b1.stderr).toBe(0);
    const b2 = run('import', 'tfjs', '--dir', join(dir, 'web'), '--out', join(dir, 'back-tfjs'), '--json');
    expect(b2.status, b2.stderr).toBe(0);
    // refusing to overwrite, and bad flags, are one-line errors with exit code 1
    const again = run('export', out, '--format', 'safetensors', '--out', st);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^evdm: error: --out .*bair\.safetensors already exists/);
    const badWeights = run(
      'import',
      'mcvd',
      '--checkpoint',
      fixturePath('bair', 'pt'),
      '--config',
      fixturePath('bair', 'yml'),
      '--out',
      join(dir, 'x'),
      '--weights',
      'best',
    );
    expect(badWeights.status).toBe(1);
    expect(badWeights.stderr).toMatch(/--weights must be ema or model, got "best"/);
    const badFormat = run('export', out, '--format', 'onnx', '--out', join(dir, 'y'));
    expect(badFormat.stderr).toMatch(/--format must be safetensors or tfjs, got "onnx"/);
    const notTorch = run(
      'import',
      'mcvd',
      '--checkpoint',
      fixturePath('bair', 'yml'),
      '--config',
      fixturePath('bair', 'yml'),
      '--out',
      join(dir, 'z'),
    );
    expect(notTorch.status).toBe(1);
    expect(notTorch.stderr).toMatch(/bair\.yml: is not a PyTorch checkpoint/);
    expect(notTorch.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'x')) || existsSync(join(dir, 'z'))).toBe(false);
  }
}
