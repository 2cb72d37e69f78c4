// Builds the optional oneDNN addon (build/Release/evdm_native.node) with node-gyp.
// Never fails the install: when a prerequisite is missing or the compile fails it prints ONE line
// saying why and exits 0; evdm then runs on the pure TF.js kernels.
//   --install   run from the package's install script (same behaviour, different wording)
// Env: EVDM_NATIVE_BUILD=0 skips the build; EVDM_DNNL_INCLUDE overrides the header directory
// (default /usr/include, i.e. Debian's libdnnl-dev); EVDM_NATIVE_BUILD_STRICT=1 makes failures exit 1.
// With --install, a shipped prebuild (prebuilds/linux-x64, see prebuild.mjs) that loads is used as is.
// Every outcome is recorded in build/install-status.json, so the runtime can say what happened.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.env.EVDM_NATIVE_BUILD_STRICT === '1';
const tag = '@evdm/backend-native:';

/** outcome: built | up-to-date | prebuilt | skipped | unsupported-platform | headers-missing | no-node-gyp | no-compiler | build-failed */
function done(ok, line, outcome) {
  console.log(`${tag} ${line}`);
  try {
    mkdirSync(join(pkgDir, 'build'), { recursive: true });
    writeFileSync(
      join(pkgDir, 'build', 'install-status.json'),
      JSON.stringify({ outcome, message: line, date: new Date().toISOString() }) + '\n',
    );
  } catch {
    // a read-only install directory: the runtime then reports the missing build without the reason
  }
  process.exit(ok || !strict ? 0 : 1);
}

// A prebuilt binary that loads here needs no compile (checked in a child: a bad binary cannot crash us).
const prebuilt = join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, '@evdm+backend-native.glibc.node');
if (process.argv.includes('--install') && existsSync(prebuilt) && process.env.EVDM_NATIVE_BUILD !== 'source') {
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(prebuilt)}).version()`], { encoding: 'utf8' });
  if (probe.status === 0) done(true, 'using the prebuilt native kernels (prebuilds/linux-x64); no compile needed', 'prebuilt');
  console.log(
    `${tag} the prebuilt addon does not load here (${
      (probe.stderr ?? '')
        .split('\n')
        .find((l) => /Error/.test(l))
        ?.trim() ?? `exit ${probe.status}`
    }); building from source`,
  );
}

if (process.env.EVDM_NATIVE_BUILD === '0')
  done(true, 'native build skipped (EVDM_NATIVE_BUILD=0); evdm will use the pure TF.js kernels', 'skipped');
if (process.platform !== 'linux' || process.arch !== 'x64') {
  done(
    true,
    `native kernels are only built on linux-x64 (this is ${process.platform}-${process.arch}); evdm will use the pure TF.js kernels`,
    'unsupported-platform',
  );
}
const dnnlInclude = process.env.EVDM_DNNL_INCLUDE ?? '/usr/include';
if (!existsSync(join(dnnlInclude, 'oneapi', 'dnnl', 'dnnl.hpp'))) {
  done(
    false,
    `oneDNN headers not found (${join(dnnlInclude, 'oneapi/dnnl/dnnl.hpp')}); install libdnnl-dev (Debian/Ubuntu) to get the native kernels — using the pure TF.js kernels`,
    'headers-missing',
  );
}
const req = createRequire(import.meta.url);
let gyp;
try {
  gyp = req.resolve('node-gyp/bin/node-gyp.js');
} catch {
  done(false, 'node-gyp is not installed; native kernels not built', 'no-node-gyp');
}
const cxx = process.env.CXX ?? 'g++';
if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) {
  done(false, `no C++ compiler (${cxx}); install g++ to build the native kernels — using the pure TF.js kernels`, 'no-compiler');
}

// Skip when the addon is newer than every source (turbo build after install, repeated builds).
const addon = join(pkgDir, 'build', 'Release', 'evdm_native.node');
if (existsSync(addon)) {
  const built = statSync(addon).mtimeMs;
  const sources = [join(pkgDir, 'binding.gyp'), ...readdirSync(join(pkgDir, 'native')).map((f) => join(pkgDir, 'native', f))];
  if (sources.every((f) => statSync(f).mtimeMs <= built))
    done(true, 'native kernels up to date (build/Release/evdm_native.node)', 'up-to-date');
}

// Build against the running node's headers: Debian's nodejs ships them in /usr/include/node, so no
// download is needed; elsewhere node-gyp uses its cache / download as usual.
const args = [gyp, 'rebuild', '--release', '-j', 'max'];
if (existsSync('/usr/include/node/node_api.h') && process.execPath.startsWith('/usr/')) args.push('--nodedir=/usr');
const started = Date.now();
const r = spawnSync(process.execPath, args, {
  cwd: pkgDir,
  encoding: 'utf8',
  env: { ...process.env, EVDM_DNNL_INCLUDE: dnnlInclude },
});
if (r.status !== 0 || !existsSync(addon)) {
  const err =
    `${r.stdout ?? ''}\n${r.stderr ?? ''}`
      .split('\n')
      .filter((l) => /error/i.test(l))
      .slice(0, 1)[0] ?? `node-gyp exit ${r.status}`;
  if (strict) process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
  done(false, `native build failed (${err.trim().slice(0, 200)}); using the pure TF.js kernels`, 'build-failed');
}
done(
  true,
  `built native oneDNN kernels in ${((Date.now() - started) / 1000).toFixed(0)} s (build/Release/evdm_native.node)`,
  'built',
);
