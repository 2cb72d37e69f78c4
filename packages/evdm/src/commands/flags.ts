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
  return parseIntStrict(`--${name}`, v, min);
}

/**
 * Decimal digits only (no sign, hex, exponent, blanks or fractions) in [min, max] and at most
 * 2^53 - 1, so every accepted value is exact; the error names `what` and the value given.
 */
export function parseIntStrict(what: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
  if (!/^[0-9]+$/.test(v))
    throw new Error(`${what} must be an integer ${range}, got "${v}" (decimal digits only: no sign, hex, exponent or fraction)`);
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new Error(`${what} ${v} is too large: integers above ${Number.MAX_SAFE_INTEGER} cannot be represented exactly`);
  if (n < min || n > max) throw new Error(`${what} must be an integer ${range}, got "${v}"`);
  return n;
}

/** A decimal number > 0 (e.g. 2e-4, 0.001): no hex, no blanks, finite. */
export function positiveNumberFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive decimal number, got "${v}"`);
  return n;
}
