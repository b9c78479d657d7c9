import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, temporalAddressOf } from '../../lib/config.ts';
import { DEFAULT_JUDGE } from '../../models/answer/judge.ts';
import { DEFAULT_BUDGET, POLICY_NAMES } from '../../models/llm/policies/index.ts';
import { DEFAULT_RETENTION } from '../../models/visual/compress/pipeline.ts';

describe('configuration', () => {
  it('gives each process and stage its own slice, with the defaults the stages declare', () => {
    const config = loadConfig({});
    assert.equal(config.dataDir, path.resolve('data'));
    assert.equal(config.visual.retention, DEFAULT_RETENTION);
    assert.equal(config.llm.budget, DEFAULT_BUDGET);
    assert.equal(config.llm.dir, undefined);
    assert.equal(config.api.port, 8080);
    assert.deepEqual(config.api.keys, []);
    assert.equal(config.temporal.taskQueue, 'folio-ingest');
    assert.equal(temporalAddressOf(config.temporal), '127.0.0.1:7233');
    assert.equal(config.worker.logLevel, 'WARN');
    assert.equal(config.cli.url, 'http://127.0.0.1:8080');
  });

  it('reads every variable into its slice', () => {
    const config = loadConfig({
      FOLIO_DATA_DIR: '/srv/folio',
      PORT: '9000',
      FOLIO_API_KEYS: ' a , b ,',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      FOLIO_PAGE_TIMEOUT_MS: '1234',
      FOLIO_LOG_LEVEL: 'debug',
      FOLIO_LLM_POLICY: 'Quest',
      FOLIO_OCR_DPI: '0',
      FOLIO_API_KEY: 'k',
      TEMPORAL_CLI: '/opt/temporal',
      PATH: '/usr/bin',
    });
    assert.equal(config.dataDir, '/srv/folio');
    assert.equal(config.api.port, 9000);
    assert.deepEqual(config.api.keys, ['a', 'b']);
    assert.equal(temporalAddressOf(config.temporal), 'temporal.internal:7233');
    assert.equal(config.ingest.pageTimeoutMs, 1234);
    assert.equal(config.worker.logLevel, 'DEBUG');
    assert.equal(config.llm.policy, 'quest');
    assert.equal(config.pages.ocr.enabled, false);
    // The CLI talks to the API on the port the API listens on unless told otherwise.
    assert.deepEqual(config.cli, { url: 'http://127.0.0.1:9000', apiKey: 'k' });
    assert.deepEqual([config.temporal.cli, config.temporal.searchPath], ['/opt/temporal', '/usr/bin']);
  });

  it('names the variable when a value is out of range', () => {
    assert.throws(() => loadConfig({ FOLIO_LOG_LEVEL: 'loud' }), /FOLIO_LOG_LEVEL must be one of trace, debug, info, warn, error/);
    assert.throws(() => loadConfig({ FOLIO_LLM_POLICY: 'sparse' }), new RegExp(`FOLIO_LLM_POLICY must be one of ${POLICY_NAMES.join(', ')}`));
    assert.throws(() => loadConfig({ FOLIO_PAGE_TIMEOUT_MS: '-1' }), /FOLIO_PAGE_TIMEOUT_MS must be a non-negative number/);
    assert.throws(() => loadConfig({ FOLIO_VISUAL_RETENTION: '0' }), /FOLIO_VISUAL_RETENTION must be a number in \(0, 1\]/);
  });

  it('FOLIO_READER: extractive without a checkpoint, the LLM with one, the judge only when asked for and given a model', () => {
    assert.equal(loadConfig({}).reader.kind, 'extractive');
    assert.deepEqual(loadConfig({}).reader.judge, DEFAULT_JUDGE);
    assert.equal(loadConfig({ FOLIO_LLM_FILE: '/m/gemma.gguf' }).reader.kind, 'llm');
    const judge = loadConfig({ FOLIO_LLM_FILE: '/m/gemma.gguf', FOLIO_READER: 'Judge', FOLIO_JUDGE_CANDIDATES: '3', FOLIO_JUDGE_NORMALISATION: 'mean' }).reader;
    assert.deepEqual(judge, { kind: 'judge', judge: { candidates: 3, normalisation: 'mean' } });
    assert.equal(loadConfig({ FOLIO_LLM_FILE: '/m/gemma.gguf', FOLIO_READER: 'extractive' }).reader.kind, 'extractive');
    assert.throws(() => loadConfig({ FOLIO_READER: 'judge' }), /FOLIO_READER=judge needs a checkpoint/);
    assert.throws(() => loadConfig({ FOLIO_READER: 'oracle' }), /FOLIO_READER must be one of extractive, llm, judge/);
    assert.throws(() => loadConfig({ FOLIO_JUDGE_NORMALISATION: 'max' }), /FOLIO_JUDGE_NORMALISATION must be one of sum, mean, pmi, pmi-mean/);
    assert.equal(loadConfig({ FOLIO_LLM_PROMPT: 'base' }).llm.prompt, 'base');
    assert.throws(() => loadConfig({ FOLIO_LLM_PROMPT: 'fancy' }), /FOLIO_LLM_PROMPT must be one of auto, chat, plain, base/);
  });
});
