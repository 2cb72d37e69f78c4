import { defineConfig } from 'tsup';

export default defineConfig({
  // the prefetch worker is its own script, loaded by path at run time
  entry: ['src/index.ts', 'src/loader-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
});
