#!/usr/bin/env node
// Entry point of every npm script. It must run on the system's Node 20 (end of life, too old for
// our dependencies), so it is plain JavaScript with no dependency. It:
//   1. brings Node 24 from the npm registry into .runtime/ when the running Node is older than 22,
//   2. installs dependencies from the lockfile with that Node (skipped when the lockfile is unchanged),
//   3. builds the web app when its sources changed (skipped otherwise),
//   4. runs the task: start | dev | test | build | check | exec <command…>.
// See docs/decisions/0001-node-24-bootstrap.md.
import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_VERSION = '24.21.0';
// Integrity of the registry tarballs (npm view node-<platform>-<arch>@VERSION dist.integrity).
const NODE_INTEGRITY = {
  'linux-x64': 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  'darwin-arm64': 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
};
const MIN_MAJOR = 22;

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const runtimeDir = join(root, '.runtime');
const log = (msg) => process.stderr.write(`[run] ${msg}\n`);

function fail(msg) {
  log(`error: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (res.error) fail(`${cmd} could not start: ${res.error.message}`);
  return res.status ?? 1;
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/** Returns the folder of a Node ≥ 22, fetching Node 24 from the registry if needed. */
function ensureNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MIN_MAJOR) return null;
  const platform = `${process.platform}-${process.arch}`;
  const dir = join(runtimeDir, `node-v${NODE_VERSION}-${platform}`);
  if (existsSync(join(dir, 'bin', 'node'))) return dir;

  log(`Node ${process.versions.node} is older than ${MIN_MAJOR}: fetching Node ${NODE_VERSION} (${platform}) from the npm registry…`);
  const tmp = join(runtimeDir, 'tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const pkg = `node-${platform}@${NODE_VERSION}`;
  const packed = spawnSync('npm', ['pack', pkg, '--pack-destination', tmp, '--json', '--loglevel=error'], {
    cwd: tmp,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (packed.status !== 0) fail(`could not download ${pkg} (is the npm registry reachable?)`);
  const info = JSON.parse(packed.stdout)[0];
  const expected = NODE_INTEGRITY[platform];
  if (expected && info.integrity !== expected) fail(`integrity mismatch for ${pkg}: ${info.integrity}`);
  if (!expected) log(`warning: no pinned integrity for ${platform}; trusting the registry's`);
  const extractTo = join(tmp, 'x');
  mkdirSync(extractTo);
  if (run('tar', ['-xzf', join(tmp, info.filename), '-C', extractTo, '--strip-components=1']) !== 0) {
    fail(`could not unpack ${info.filename}`);
  }
  renameSync(extractTo, dir);
  rmSync(tmp, { recursive: true, force: true });
  log(`Node ${NODE_VERSION} ready in ${relative(root, dir)}`);
  return dir;
}

/** Environment in which npm, native builds and our tools use the chosen Node. */
function toolEnv(nodeDir) {
  const env = { ...process.env };
  const bins = [join(root, 'node_modules', '.bin')];
  if (nodeDir) {
    bins.unshift(join(nodeDir, 'bin'));
    env.npm_config_nodedir = nodeDir; // ~/.npmrc may point at the system's Node 20 headers
  }
  env.PATH = [...bins, env.PATH].join(':');
  return env;
}

function ensureDependencies(env, nodeBin) {
  const lock = join(root, 'package-lock.json');
  if (!existsSync(lock)) fail('package-lock.json is missing');
  const version = spawnSync(nodeBin, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
  const key = sha256(readFileSync(lock) + readFileSync(join(root, 'package.json')) + version + process.platform + process.arch);
  const stamp = join(root, 'node_modules', '.install-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return;
  log(`installing dependencies from the lockfile with Node ${version}…`);
  if (run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { env }) !== 0) fail('npm ci failed');
  writeFileSync(stamp, key);
}

// Everything the web bundle is built from. The server runs from source, so it is not listed
// except what the web layer imports from it.
const BUILD_INPUTS = ['web', 'server', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'];

function hashTree(paths) {
  const h = createHash('sha256');
  const walk = (p) => {
    const abs = join(root, p);
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        walk(join(p, name));
      }
    } else if (!/\.test\.ts$/.test(p)) {
      h.update(p).update('\0').update(readFileSync(abs)).update('\0');
    }
  };
  paths.forEach(walk);
  return h.digest('hex');
}

function ensureBuild(env, nodeBin, force = false) {
  const key = hashTree(BUILD_INPUTS);
  const stamp = join(root, 'build', '.build-stamp');
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return;
  log('building the web app…');
  if (run(nodeBin, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { env }) !== 0) {
    fail('the build failed');
  }
  writeFileSync(stamp, key);
}

function ensureChromium() {
  if (process.env.CHROMIUM_PATH || existsSync('/usr/bin/chromium')) return;
  log('Chromium is missing: installing the Debian package (needed by the browser tests)…');
  const sudo = process.getuid && process.getuid() !== 0 ? ['sudo'] : [];
  const apt = (args) => run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', 'chromium']) !== 0) {
    fail('could not install chromium with apt-get; install it, or set CHROMIUM_PATH');
  }
}

function exec(nodeBin, args, env) {
  const child = spawn(nodeBin, args, { stdio: 'inherit', cwd: root, env });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}

function runSteps(nodeBin, steps, env) {
  for (const [label, args] of steps) {
    log(label);
    const status = run(nodeBin, args, { env });
    if (status !== 0) process.exit(status);
  }
}

const [task = 'start', ...rest] = process.argv.slice(2);
const nodeDir = ensureNode();
const nodeBin = nodeDir ? join(nodeDir, 'bin', 'node') : process.execPath;
const env = toolEnv(nodeDir);
ensureDependencies(env, nodeBin);
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
// Settings from a .env file at the root, when there is one (the environment wins).
const envFile = existsSync(join(root, '.env')) ? ['--env-file=.env'] : [];
// svelte-check type-checks the .svelte files and every .ts file of tsconfig.json; it needs the
// types SvelteKit generates (sync).
const typeCheck = [
  ['generating SvelteKit types…', [bin('@sveltejs/kit', 'svelte-kit.js'), 'sync']],
  ['type-checking (svelte-check)…', [bin('svelte-check', 'bin/svelte-check'), '--tsconfig', './tsconfig.json', '--threshold', 'warning', '--output', 'human']],
];

switch (task) {
  case 'start':
    ensureBuild(env, nodeBin);
    exec(nodeBin, [...envFile, 'server/main.ts', ...rest], { ...env, NODE_ENV: env.NODE_ENV ?? 'production' });
    break;
  case 'dev':
    exec(nodeBin, [...envFile, 'server/main.ts', '--dev', ...rest], { ...env, NODE_ENV: 'development' });
    break;
  case 'build':
    ensureBuild(env, nodeBin, true);
    break;
  case 'check':
    runSteps(nodeBin, typeCheck, env);
    break;
  case 'test': {
    ensureBuild(env, nodeBin);
    ensureChromium();
    const testEnv = { ...env, NODE_ENV: 'test' };
    const vitest = ['unit and integration tests (vitest)…', [bin('vitest', 'vitest.mjs'), 'run', '--config', 'tests/vitest.config.ts', ...rest]];
    const browser = ['browser tests (Playwright + Chromium)…', [bin('@playwright/test', 'cli.js'), 'test', '-c', 'tests/e2e/playwright.config.ts']];
    // `npm test -- <filter>` runs only the matching vitest files.
    runSteps(nodeBin, rest.length ? [vitest] : [...typeCheck, vitest, browser], testEnv);
    break;
  }
  case 'exec': {
    if (!rest.length) fail('usage: npm run exec -- <command> [args…]');
    const status = run(rest[0], rest.slice(1), { env });
    process.exit(status);
  }
  default:
    fail(`unknown task "${task}" (start | dev | test | build | check | exec)`);
}
