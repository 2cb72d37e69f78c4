// The golden values and reference numbers in test-fixtures/ are the files their README describes.
import { spawnSync } from 'node:child_process';
const r = spawnSync(process.execPath, [new URL('../golden-fixtures.mjs', import.meta.url).pathname, '--check'], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
