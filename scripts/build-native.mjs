#!/usr/bin/env node
// Builds Folio's optional native addon (native/: decode-step attention for the LLM reader, the
// built-in vision encoder's patch features and two visual-token compression stages) with
// node-gyp. Runs on `npm install` / `npm ci` (package.json "install") and as `npm run build:native`.
// A failed build never fails the install: Folio then runs decode attention in onnxruntime, which
// gives the same results more slowly (README, "Native addon"). Set FOLIO_REQUIRE_NATIVE=1 to turn
// a failure into an error (CI does, so a broken kernel cannot pass unnoticed).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.FOLIO_REQUIRE_NATIVE === '1';

if (process.env.FOLIO_SKIP_NATIVE === '1' && !required) {
  console.log('folio: FOLIO_SKIP_NATIVE=1, not building the native addon (decode attention runs in onnxruntime, the visual kernels in TypeScript)');
  process.exit(0);
}

// npm hands its bundled node-gyp to lifecycle scripts; outside npm, look next to npm itself.
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const nodeGyp = candidates.find((file) => existsSync(file));

function giveUp(reason) {
  const message = `folio: native kernel not built (${reason}); decode attention will run in onnxruntime`;
  if (required) {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

if (!nodeGyp) giveUp('node-gyp not found; it ships with npm');
const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release'], { cwd: path.join(root, 'native'), stdio: 'inherit', env: process.env });
if (result.error) giveUp(result.error.message);
if (result.status !== 0) giveUp(`node-gyp exited with ${result.status}; a C compiler, make and python3 are needed`);
console.log('folio: native kernel built (native/build/Release/folio_native.node)');
