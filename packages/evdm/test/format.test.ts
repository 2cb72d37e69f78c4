// Durations, ETAs and score cells as the CLI prints them (issue 19), and the time-budgeted progress bar.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration, formatMinutes, meanPlusMinus } from '../src/io/format';
import { TrainMonitor } from '../src/train/monitor';

describe('formatDuration', () => {
  it('rounds once, at the unit shown: never a 60 in a field', () => {
    expect(formatDuration(1679.6)).toBe('28m00s'); // printed 27m60s before
    expect(formatDuration(1079.5)).toBe('18m00s'); // printed 17m60s before
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(3599.6)).toBe('1h00m');
    expect(formatDuration(2 * 3600 + 59 * 60 + 31)).toBe('3h00m');
  });

  it('writes each size as a person would', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(28 * 60)).toBe('28m00s');
    expect(formatDuration(3 * 3600 + 60)).toBe('3h01m');
    expect(formatDuration(30 * 3600)).toBe('30h00m');
    expect(formatDuration(5 * 86_400 + 7 * 3600)).toBe('5d07h');
  });

  it('huge step counts: no 277777h46m, no exponent', () => {
    expect(formatDuration(1e9)).toBe('> 1 year'); // 1e6 steps at 0.001 steps/s printed 277777h46m
    expect(formatDuration(4e98)).toBe('> 1 year'); // printed 1.1e+95h34m
    expect(formatDuration(364 * 86_400)).toBe('364d00h');
  });

  it('unknown or negative is ?', () => {
    for (const v of [Infinity, NaN, -1]) expect(formatDuration(v)).toBe('?');
  });

  it('budgets in minutes', () => {
    expect(formatMinutes(30)).toBe('30 min');
    expect(formatMinutes(0.05)).toBe('0.05 min');
    expect(formatMinutes(180)).toBe('3 h');
  });
});

describe('meanPlusMinus', () => {
  it('one clip scores ± 0, not ± NaN', () => {
    expect(meanPlusMinus({ mean: 18.2712, ci95: NaN, n: 1 }, 2)).toBe('18.27 ± 0');
    expect(meanPlusMinus({ mean: 0.69, ci95: 0.0123, n: 8 }, 4)).toBe('0.6900 ± 0.0123');
    expect(meanPlusMinus(undefined, 4)).toBe('-');
    expect(meanPlusMinus({ mean: 1.5, ci95: 0.25 }, 2, 6)).toBe('  1.50 ± 0.25');
  });
});

describe('TrainMonitor with a time budget', () => {
  const onExit: Array<() => void> = [];
  afterEach(() => {
    vi.useRealTimers();
    onExit.splice(0).forEach((f) => f());
  });

  it('fills the bar against the clock and prints time, not a step target, in plain lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evdm-budget-'));
    try {
      vi.useFakeTimers({ now: 1_000_000 });
      const lines: string[] = [];
      const plain = new TrainMonitor({
        outDir: dir,
        totalSteps: 1_000_000,
        logEvery: 1,
        tty: false,
        write: (l) => lines.push(l),
        deadline: Date.now() + 30 * 60_000,
      });
      vi.setSystemTime(1_000_000 + 1679.6 * 1000);
      plain.onStep({ step: 100, loss: 0.5, gradNorm: 1, lr: 1e-4 });
      plain.finish();
      expect(lines[0]).toMatch(/^step 100 {2}loss 0\.5000 {2}[\d.]+ steps\/s {2}28m00s of 30m00s, 2m00s left$/);
      expect(lines[0]).not.toMatch(/1000000/);

      vi.setSystemTime(2_000_000);
      // cli-progress draws only on a terminal: pretend stderr is one for this monitor
      const wasTty = process.stderr.isTTY;
      process.stderr.isTTY = true;
      onExit.push(() => (process.stderr.isTTY = wasTty));
      const bar = new TrainMonitor({ outDir: dir, totalSteps: 1_000_000, logEvery: 1, tty: true, deadline: Date.now() + 60_000 });
      const state = () => (bar as unknown as { bar: { value: number; total: number; payload: Record<string, unknown> } }).bar;
      expect([state().value, state().total]).toEqual([0, 60]);
      vi.setSystemTime(2_000_000 + 30_000);
      bar.onStep({ step: 7, loss: 1, gradNorm: 1, lr: 1e-4 });
      expect(state().value / state().total).toBe(0.5); // half the budget = half the bar, whatever the step target
      expect(state().payload).toMatchObject({ step: 7, elapsed: '30s', budget: '1m00s', left: '30s' });
      bar.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
