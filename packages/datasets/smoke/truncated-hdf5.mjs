// A truncated HDF5 shard gives one clear error line naming the file and HDF5's reason, and nothing
// else on stderr: the HDF5 library's ~20-line diagnostic stack is silenced (issue 19). Plain node.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'evdm-trunc-'));
try {
  const bytes = readFileSync(new URL('../test/fixtures/kth-lzf/shard_0001.hdf5', import.meta.url));
  writeFileSync(join(dir, 'shard_0001.hdf5'), bytes.subarray(0, Math.floor(bytes.length / 3)));
  const probe = `import { openDataset } from '@evdm/datasets';
try { await openDataset({ name: 'kth', path: ${JSON.stringify(dir)} }); console.log('opened?!'); }
catch (e) { console.log(e.message); }`;
  const run = (env) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, ...env } });
  const r = run({ EVDM_DEBUG: '' });
  const msg = r.stdout.trim();
  if (!/shard_0001\.hdf5: cannot open HDF5 file \(truncated or corrupt: File has been truncated\)/.test(msg)) {
    throw new Error(`unexpected error message: ${msg}\n${r.stderr}`);
  }
  if (r.stderr.trim() !== '') throw new Error(`stderr is not quiet (${r.stderr.split('\n').length} lines):\n${r.stderr}`);
  // the diagnostics are still there for debugging
  const dbg = run({ EVDM_DEBUG: '1' });
  if (!/HDF5-DIAG/.test(dbg.stderr)) throw new Error('EVDM_DEBUG=1 should show the HDF5 diagnostics');
  console.log(
    `truncated HDF5: "${msg}", stderr empty (EVDM_DEBUG=1 shows ${dbg.stderr.trim().split('\n').length} diagnostic lines)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
