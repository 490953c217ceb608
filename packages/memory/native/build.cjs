#!/usr/bin/env node
// Builds the native shared-memory addon (native/shm.cc) into build/Release/multiproc_shm.node.
//
// Run by the package's `build` and `install` scripts. It never fails the install: if the addon
// cannot be built it prints one warning and exits 0 — the 'thread' start method needs no
// addon, and 'spawn' reports what is missing when it is used.
//
// Environment: MULTIPROC_SKIP_NATIVE=1 skips the build; MULTIPROC_NATIVE_VERBOSE=1 shows
// node-gyp's output; npm_config_nodedir / npm_config_node_gyp are honoured.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const pkgDir = path.resolve(__dirname, '..');
const nativeDir = __dirname;
const artifact = path.join(pkgDir, 'build', 'Release', 'multiproc_shm.node');
const verbose = process.env.MULTIPROC_NATIVE_VERBOSE === '1';

function warn(reason) {
  console.warn(
    `multiproc: the native shared-memory addon could not be built (${reason}); ` +
      "the 'thread' start method works, 'spawn' needs g++/make/python3 and Node headers",
  );
  process.exit(0);
}

function exists(p) {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
}

/** node-gyp: a dependency, the npm_config_node_gyp setting, or the copy bundled with npm/pnpm. */
function findNodeGyp() {
  const candidates = [];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [pkgDir] }));
  } catch {}
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    // npm: <npm>/bin/npm-cli.js; pnpm: <pnpm>/bin/pnpm.cjs or <pnpm>/dist/pnpm.cjs.
    const root = path.resolve(path.dirname(process.env.npm_execpath), '..');
    candidates.push(path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    candidates.push(path.join(root, 'dist', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const npm = path.join(dir, 'npm');
    if (!exists(npm)) continue;
    try {
      const npmRoot = path.resolve(path.dirname(fs.realpathSync(npm)), '..');
      candidates.push(path.join(npmRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    } catch {}
  }
  return candidates.find(exists);
}

/** The directory holding include/node/node.h for this Node (so node-gyp need not download). */
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (exists(path.join(prefix, 'include', 'node', 'node.h'))) return prefix;
  return undefined; // node-gyp will try its header cache / a download
}

/** The most telling line of a failed build's output. */
function reasonOf(output) {
  const lines = output.split('\n').map((l) => l.trim());
  const headers = lines.find((l) => /common\.gypi not found|node\.h: No such file/.test(l));
  if (headers) return `Node.js headers not found: ${headers.slice(0, 200)}`;
  const pick =
    lines.find((l) => /\berror:/.test(l) && !l.startsWith('gyp')) ||
    lines.find((l) => /: not found$|command not found/.test(l)) ||
    lines.find((l) => /^make: \*\*\*/.test(l)) ||
    lines.find((l) => /gyp ERR! find Python/.test(l)) ||
    lines.find((l) => /gyp ERR! (stack )?Error:/.test(l)) ||
    lines.find((l) => l.startsWith('gyp ERR!'));
  if (!pick) return 'node-gyp failed';
  if (/^make: \*\*\*/.test(pick)) return `the C++ compiler failed (${pick.slice(0, 200)})`;
  return pick.replace(/^gyp ERR! (stack )?/, '').slice(0, 300);
}

/** An executable on PATH (or the given path)? */
function which(cmd) {
  if (!cmd) return false;
  if (cmd.includes('/')) return exists(cmd);
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && exists(path.join(dir, cmd)));
}

/** The build tools node-gyp needs, missing ones by name. */
function missingTools() {
  const missing = [];
  if (!which('make')) missing.push('make');
  const cxx = process.env.CXX ? process.env.CXX.split(' ')[0] : undefined;
  if (cxx ? !which(cxx) : !which('g++') && !which('c++')) missing.push('g++');
  if (!process.env.PYTHON && !process.env.npm_config_python && !which('python3') && !which('python')) {
    missing.push('python3');
  }
  return missing;
}

function main() {
  if (process.env.MULTIPROC_SKIP_NATIVE === '1') {
    console.warn('multiproc: MULTIPROC_SKIP_NATIVE=1, the native shared-memory addon was not built');
    return;
  }
  if (process.platform !== 'linux') warn(`${process.platform} is not supported yet, only Linux`);
  const missing = missingTools();
  if (missing.length > 0) warn(`${missing.join(', ')} not found on PATH`);
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) warn('node-gyp was not found (it ships with npm)');
  const args = [nodeGyp, 'rebuild', '--directory', nativeDir];
  const nodedir = findNodeDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const run = spawnSync(process.execPath, args, {
    cwd: nativeDir,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    env: { ...process.env, JOBS: process.env.JOBS || 'max' },
  });
  if (run.error) warn(run.error.message);
  const built = path.join(nativeDir, 'build', 'Release', 'multiproc_shm.node');
  if (run.status !== 0 || !exists(built)) {
    warn(verbose ? `node-gyp exited with ${run.status}` : reasonOf(`${run.stdout}\n${run.stderr}`));
  }
  // Install by rename, never by overwriting in place: a running process that has the old
  // file mapped would crash (SIGBUS) if its pages changed under it.
  fs.mkdirSync(path.dirname(artifact), { recursive: true });
  const tmp = `${artifact}.${process.pid}.tmp`;
  fs.copyFileSync(built, tmp);
  fs.renameSync(tmp, artifact);
  fs.rmSync(path.join(nativeDir, 'build'), { recursive: true, force: true });
  // Check that it loads here, so a broken build is reported now rather than at first use.
  try {
    require(artifact);
  } catch (err) {
    fs.rmSync(artifact, { force: true });
    warn(`the built addon does not load: ${err.message}`);
  }
  if (verbose) console.log(`multiproc: built ${path.relative(process.cwd(), artifact)}`);
}

main();
