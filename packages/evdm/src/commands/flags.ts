import type { Command } from 'commander';

/** Adds `--sampler`, `--steps`, `--eta` (the sampler of evdm eval and sample) to a command. */
export function addSamplerOptions(cmd: Command): Command {
  return cmd
    .option('--sampler <name>', 'ddpm | ddim', 'ddpm')
    .option('--steps <n>', 'denoiser steps per block (1000 = full DDPM; MCVD: 100)', '100')
    .option('--eta <x>', 'DDIM eta (0 = deterministic)', '0');
}

/**
 * A CLI flag parsed as an integer >= `min`; the error names the flag and the value given.
 * Without a value: `dflt` when one is given, else undefined (the flag was not set).
 */
export function intFlag(name: string, v: string, min: number): number;
export function intFlag(name: string, v: string | undefined, min: number, dflt: number): number;
export function intFlag(name: string, v: string | undefined, min: number): number | undefined;
export function intFlag(name: string, v: string | undefined, min: number, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}
