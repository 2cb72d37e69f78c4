// Runs every package's smoke scripts (packages/*/smoke/*.mjs|*.cjs) with plain `node`, against the
// *built* dist through the package's own exports map. vitest transpiles sources and resolves
// modules its own way, so it can hide a bad exports map or a missing gradient registration.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
// Package smokes, then the repository-level ones in scripts/smoke (fixtures, bundling, packing).
const dirs = readdirSync(join(root, 'packages'))
  .sort()
  .map((pkg) => [pkg, join(root, 'packages', pkg, 'smoke')]);
dirs.push(['scripts', join(root, 'scripts', 'smoke')]);
for (const [pkg, dir] of dirs) {
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir)
    .filter((f) => /\.(mjs|cjs)$/.test(f))
    .sort()) {
    const started = Date.now();
    const r = spawnSync(process.execPath, [file], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, EVDM_LOG: process.env.EVDM_LOG ?? 'quiet' },
      timeout: 300_000,
    });
    const ms = Date.now() - started;
    if (r.status === 0) {
      passed++;
      console.log(`smoke ok   ${pkg}/smoke/${file} (${ms} ms)`);
      if (process.env.EVDM_SMOKE_VERBOSE) process.stdout.write(r.stdout ?? '');
    } else {
      failed++;
      console.log(`smoke FAIL ${pkg}/smoke/${file} (exit ${r.status ?? r.signal})`);
      process.stdout.write((r.stdout ?? '') + (r.stderr ?? ''));
    }
  }
}
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
