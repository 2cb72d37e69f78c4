// Helpers of the issue-20 tests that drive the BUILT CLI as child processes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const cli = join(__dirname, '..', 'dist', 'cli.js');
const env = { ...process.env, EVDM_LOG: 'quiet' };

export const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });

/** The tiny run of the CLI tests: 16 px EVDM-L, synthetic data, a long run (stopped by signals). */
export const tinyRun = (train: Record<string, unknown> = {}) => ({
  network: {
    preset: { model: 'evdm-l', dataset: 'smmnist' },
    baseChannels: 16,
    channelMult: [1, 2],
    imageSize: 16,
    attnResolutions: [8],
    headChannels: 16,
    pastFrames: 1,
    currentFrames: 1,
  },
  data: { source: 'synthetic', seed: 1 },
  train: { steps: 100000, batchSize: 1, warmup: 1, checkpointEvery: 1000, sampleEvery: 0, logEvery: 1, ...train },
});

export function tmp(prefix = 'evdm-safety-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, cfg: unknown): string {
  const p = join(dir, 'run.json');
  writeFileSync(p, JSON.stringify(cfg));
  return p;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/**
 * Spawns the CLI; each time stderr (accumulated) first matches `when[i].after`, sends `when[i].signal`
 * (after `delayMs`). Resolves at exit.
 */
export function runWithSignals(
  args: string[],
  when: Array<{ after: RegExp; signal: NodeJS.Signals; delayMs?: number }>,
): Promise<Exit> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env });
    let stderr = '';
    let stdout = '';
    let next = 0;
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => {
      stderr += d;
      while (next < when.length && when[next].after.test(stderr)) {
        const w = when[next++];
        if (w.delayMs) setTimeout(() => p.kill(w.signal), w.delayMs);
        else p.kill(w.signal);
      }
    });
    p.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

/** Mounts a tmpfs of `size` (e.g. "2m") at a new directory; null when mounting is not permitted. */
export function mountTmpfs(size: string): { dir: string; unmount: () => void } | { error: string } {
  const dir = tmp('evdm-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `mount -t tmpfs failed (${(r.stderr || r.error?.message || '').trim()})` };
  return { dir, unmount: () => spawnSync('umount', [dir]) };
}
