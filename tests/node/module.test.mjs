// Tests of the WebAssembly module through its ES-module loader (site/js/llmcalc.js),
// checked against the native CLI built from the same core.
//
//   node --test tests/node/
//
// LLMCALC_SITE_DIR  the assembled site (default build/wasm/site, from the repo root)
// LLMCALC_CLI       the native CLI       (default build/native/cli/llmcalc)
//
// Build both first: see README ("Build") or scripts/test.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const siteDir = resolve(repoRoot, process.env.LLMCALC_SITE_DIR || 'build/wasm/site');
const cliPath = resolve(repoRoot, process.env.LLMCALC_CLI || 'build/native/cli/llmcalc');
const RTOL = 1e-12;

// The options object handed to the Emscripten factory on the first (only) load.
// Emscripten 3.x uses it as `Module`, so after loading it carries the instance's
// exports (`asm.memory`, `_malloc`, `_free`); the loader itself exposes no heap.
const factoryOptions = {};
let loader; // {loadLlmcalc, LlmcalcError}
let calc;

before(async () => {
  const glue = resolve(siteDir, 'js/llmcalc.js');
  const wasm = resolve(siteDir, 'js/llmcalc-core.wasm');
  assert.ok(existsSync(glue) && existsSync(wasm),
    `no WebAssembly build in ${siteDir} (set LLMCALC_SITE_DIR, or build: emcmake cmake -S . -B build/wasm && cmake --build build/wasm)`);
  factoryOptions.wasmBinary = readFileSync(wasm);
  loader = await import(pathToFileURL(glue).href);
  calc = await loader.loadLlmcalc(factoryOptions);
});

// ---------------------------------------------------------------------------
// helpers

function cli(args) {
  assert.ok(existsSync(cliPath),
    `no native CLI at ${cliPath} (set LLMCALC_CLI, or build: cmake -S . -B build/native && cmake --build build/native)`);
  return execFileSync(cliPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

function relDiff(a, b) {
  if (a === b) return 0;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) / scale;
}

/** Compares numbers field by field; collects {compared, maxRel, worst}. */
class Comparer {
  constructor(label) {
    this.label = label;
    this.compared = 0;
    this.exact = 0;
    this.maxRel = 0;
    this.worst = '';
  }

  close(path, native, wasm) {
    this.compared += 1;
    if (native === null || wasm === null) {
      assert.equal(wasm, native, `${this.label}: ${path} is ${wasm} from the module, ${native} from the CLI`);
      this.exact += 1;
      return;
    }
    assert.equal(typeof native, 'number', `${this.label}: ${path} from the CLI is not a number: ${native}`);
    assert.equal(typeof wasm, 'number', `${this.label}: ${path} from the module is not a number: ${wasm}`);
    const d = relDiff(native, wasm);
    if (d === 0) this.exact += 1;
    if (d > this.maxRel) {
      this.maxRel = d;
      this.worst = `${path}: CLI ${native} vs module ${wasm}`;
    }
    assert.ok(d <= RTOL, `${this.label}: ${path} differs: CLI ${native}, module ${wasm} (relative ${d})`);
  }

  same(path, native, wasm) {
    this.compared += 1;
    this.exact += 1;
    assert.strictEqual(wasm, native, `${this.label}: ${path} is ${wasm} from the module, ${native} from the CLI`);
  }
}

function compareResults(label, native, wasm) {
  const c = new Comparer(label);
  c.same('params.total', native.params.total, wasm.params.total);
  c.same('params.active', native.params.active, wasm.params.active);
  for (const k of ['flops', 'bytes', 'time_s']) c.close(`totals.${k}`, native.totals[k], wasm.totals[k]);
  assert.deepEqual(Object.keys(wasm.memory).sort(), Object.keys(native.memory).sort(), `${label}: memory fields`);
  assert.ok(Object.keys(native.memory).length >= 4, `${label}: memory has its fields`);
  for (const k of Object.keys(native.memory)) c.close(`memory.${k}`, native.memory[k], wasm.memory[k]);
  c.close('kv_cache.bytes_per_token', native.kv_cache.bytes_per_token, wasm.kv_cache.bytes_per_token);
  assert.equal(wasm.ops.length, native.ops.length, `${label}: operator count`);
  assert.ok(native.ops.length > 0, `${label}: the CLI lists operators`);
  native.ops.forEach((op, i) => {
    const w = wasm.ops[i];
    c.same(`ops[${i}].name`, op.name, w.name);
    for (const k of ['flops', 'bytes', 'time_s']) c.close(`ops[${i}](${op.name}).${k}`, op[k], w[k]);
  });
  return c;
}

function config(id) {
  return calc.modelPreset(id).config;
}

function hardware(id) {
  return calc.hardwarePreset(id);
}

// ---------------------------------------------------------------------------
// the module loads once

test('the module loads once: every loadLlmcalc() call gives the same object', async () => {
  const again = await loader.loadLlmcalc();
  assert.strictEqual(again, calc);
  // Options after the first call are ignored (a bad binary would fail a real load).
  const third = await loader.loadLlmcalc({ wasmBinary: new Uint8Array(8) });
  assert.strictEqual(third, calc);
  assert.ok(Object.isFrozen(calc));
  assert.equal(typeof calc.version, 'string');
  const presets = calc.listPresets();
  assert.ok(presets.models.some((m) => m.id === 'llama-2-7b'));
  assert.ok(presets.hardware.some((h) => h.id === 'h100-sxm'));
});

test('the module lists the same presets as the CLI', () => {
  assert.deepStrictEqual(calc.listPresets(), JSON.parse(cli(['presets', '--format', 'json'])));
});

// ---------------------------------------------------------------------------
// reference cases: the module gives the CLI's numbers

const referenceCases = [
  {
    name: 'llama-2-7b prefill 512 on h100-sxm',
    args: ['llama-2-7b', '--input-tokens', '512', '--hardware', 'h100-sxm'],
    request: () => ({
      config: config('llama-2-7b'),
      workload: { input_tokens: 512, cached_tokens: 0, batch_size: 1 },
      precision: {},
      options: {},
      hardware: hardware('h100-sxm'),
    }),
  },
  {
    name: 'mixtral-8x7b decode, 4000 cached, batch 8 on h200',
    args: ['mixtral-8x7b', '--cached-tokens', '4000', '--input-tokens', '1', '--batch-size', '8', '--hardware', 'h200'],
    request: () => ({
      config: config('mixtral-8x7b'),
      workload: { input_tokens: 1, cached_tokens: 4000, batch_size: 8 },
      hardware: hardware('h200'),
    }),
  },
  {
    name: 'qwen3-30b-a3b W4 KV8 on a100-80gb-sxm',
    args: ['qwen3-30b-a3b', '--input-tokens', '2048', '--weight-bits', '4', '--kv-bits', '8', '--hardware', 'a100-80gb-sxm'],
    request: () => ({
      config: config('qwen3-30b-a3b'),
      workload: { input_tokens: 2048 },
      precision: { weight_bits: 4, kv_cache_bits: 8 },
      options: { flops: '2mnk' },
      hardware: hardware('a100-80gb-sxm'),
    }),
  },
  {
    // The CLI's per-query lists against the module's `queries` form.
    name: 'llama-3.1-8b mixed query list, batch 2 on l40s',
    args: ['llama-3.1-8b', '--input-tokens', '256', '1', '1', '1', '--cached-tokens', '0', '1000', '3000', '8000',
      '--batch-size', '2', '--hardware', 'l40s'],
    request: () => ({
      config: config('llama-3.1-8b'),
      workload: {
        queries: [
          { cached_tokens: 0, new_tokens: 256 },
          { cached_tokens: 1000, new_tokens: 1 },
          { cached_tokens: 3000, new_tokens: 1 },
          { cached_tokens: 8000, new_tokens: 1 },
        ],
        batch_size: 2,
      },
      hardware: hardware('l40s'),
    }),
  },
  {
    name: 'gemma-2b exact FLOPs, unfused attention on l4',
    args: ['gemma-2b', '--input-tokens', '1024', '--flops-convention', 'exact', '--attention', 'unfused', '--hardware', 'l4'],
    request: () => ({
      config: config('gemma-2b'),
      workload: { input_tokens: 1024 },
      options: { flops: 'exact', attention: 'unfused' },
      hardware: hardware('l4'),
    }),
  },
  {
    name: 'phi-3-mini-4k on rtx-4090 with efficiencies and 8-bit activations',
    args: ['phi-3-mini-4k', '--input-tokens', '2048', '--act-bits', '8', '--embed-bits', '8',
      '--compute-efficiency', '0.6', '--bandwidth-efficiency', '0.8', '--hardware', 'rtx-4090'],
    request: () => ({
      config: config('phi-3-mini-4k'),
      workload: { input_tokens: 2048 },
      precision: { activation_bits: 8, embedding_bits: 8 },
      options: { compute_efficiency: 0.6, bandwidth_efficiency: 0.8 },
      hardware: hardware('rtx-4090'),
    }),
  },
  {
    name: 'qwen3-8b decode without hardware, square causal, all logits, KV4',
    args: ['qwen3-8b', '--input-tokens', '16', '--cached-tokens', '2048', '--kv-bits', '4', '--attn-bits', '8',
      '--ffn-bits', '4.5', '--causal', 'square', '--lm-head', 'all'],
    request: () => ({
      config: config('qwen3-8b'),
      workload: { input_tokens: 16, cached_tokens: 2048 },
      precision: { kv_cache_bits: 4, attention_weight_bits: 8, ffn_weight_bits: 4.5 },
      options: { causal: 'square', lm_head: 'all' },
      hardware: null,
    }),
  },
  {
    // A preset file given to the CLI as a path, to the module as text.
    name: 'mistral-7b-v0.1 from its preset file (config as text) on mi300x',
    args: [resolve(repoRoot, 'presets/models/mistral-7b-v0.1.json'), '--input-tokens', '8192', '--hardware', 'mi300x'],
    request: () => ({
      config: readFileSync(resolve(repoRoot, 'presets/models/mistral-7b-v0.1.json'), 'utf8'),
      workload: { input_tokens: 8192 },
      hardware: hardware('mi300x'),
    }),
  },
];

const summary = { cases: 0, compared: 0, exact: 0, ops: 0, maxRel: 0, worst: '' };

for (const rc of referenceCases) {
  test(`same numbers as the CLI: ${rc.name}`, (t) => {
    const native = JSON.parse(cli(['analyze', ...rc.args, '--format', 'json']));
    const wasm = calc.analyze(rc.request());
    const c = compareResults(rc.name, native, wasm);
    summary.cases += 1;
    summary.compared += c.compared;
    summary.exact += c.exact;
    summary.ops += native.ops.length;
    if (c.maxRel > summary.maxRel) {
      summary.maxRel = c.maxRel;
      summary.worst = `${rc.name}: ${c.worst}`;
    }
    t.diagnostic(`${c.compared} values (${native.ops.length} ops), ${c.exact} bit-identical, max relative difference ${c.maxRel}`);
    // Beyond the numbers: the whole result document is the same JSON.
    assert.deepStrictEqual(wasm, native, `${rc.name}: the module's result document differs from the CLI's`);
    // And the operator table as CSV is the CLI's `--format csv` output.
    assert.equal(calc.opsCsv(wasm), cli(['analyze', ...rc.args, '--format', 'csv']));
  });
}

test('reference summary', (t) => {
  assert.equal(summary.cases, referenceCases.length, 'every reference case ran');
  t.diagnostic(`${summary.cases} cases, ${summary.ops} ops, ${summary.compared} values compared, ` +
    `${summary.exact} bit-identical, max relative difference ${summary.maxRel}${summary.worst ? ` (${summary.worst})` : ''}`);
});

// ---------------------------------------------------------------------------
// published numbers

test('Llama-2-7B: published parameter count and KV-cache bytes per token', () => {
  const r = calc.analyze({ config: config('llama-2-7b'), workload: { input_tokens: 1 } });
  assert.equal(r.params.total, 6738415616);
  // 2 (K and V) x 32 layers x 4096 x 2 bytes (fp16)
  assert.equal(r.kv_cache.bytes_per_token, 524288);
});

// ---------------------------------------------------------------------------
// errors

function goodRequest() {
  return {
    config: config('llama-2-7b'),
    workload: { input_tokens: 512, cached_tokens: 0, batch_size: 1 },
    precision: { weight_bits: 4, kv_cache_bits: 8 },
    options: { flops: '2mnk' },
    hardware: hardware('h100-sxm'),
  };
}

// Each: what it does, the code, and words the message must contain (the field).
const errorCases = [
  {
    name: 'bad JSON text (request)',
    run: () => calc.analyze('{"config": {"hidden_size": 4096,'),
    code: 'invalid_json',
    words: ['request', 'JSON'],
  },
  {
    name: 'bad JSON text (config)',
    run: () => calc.parseConfig('{"hidden_size": 4096,'),
    code: 'invalid_json',
    words: ['config', 'JSON'],
  },
  {
    name: 'missing field',
    run: () => {
      const r = goodRequest();
      delete r.config.num_hidden_layers;
      return calc.analyze(r);
    },
    code: 'missing_field',
    words: ['num_hidden_layers'],
  },
  {
    name: 'wrong type',
    run: () => calc.analyze({ ...goodRequest(), workload: { input_tokens: 512, batch_size: '8' } }),
    code: 'wrong_type',
    words: ['batch_size'],
  },
  {
    name: 'out of range',
    run: () => calc.analyze({ ...goodRequest(), precision: { weight_bits: 0 } }),
    code: 'out_of_range',
    words: ['weight_bits'],
  },
  {
    name: 'unknown model preset',
    run: () => calc.modelPreset('no-such-model'),
    code: 'unknown_name',
    words: ['no-such-model'],
  },
  {
    name: 'unknown hardware preset',
    run: () => calc.hardwarePreset('no-such-gpu'),
    code: 'unknown_name',
    words: ['no-such-gpu'],
  },
  {
    name: 'unknown option value',
    run: () => calc.analyze({ ...goodRequest(), options: { flops: '3mnk' } }),
    code: 'unknown_name',
    words: ['flops', '3mnk'],
  },
  {
    name: 'inconsistent workload',
    run: () => calc.analyze({ ...goodRequest(), workload: { input_tokens: [1, 2], cached_tokens: [0, 1, 2] } }),
    code: 'inconsistent',
    words: ['cached_tokens', 'input_tokens'],
  },
];

function expectError(ec) {
  let thrown;
  try {
    ec.run();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown, `${ec.name}: nothing thrown`);
  assert.ok(thrown instanceof Error, `${ec.name}: not an Error: ${thrown}`);
  assert.ok(thrown instanceof loader.LlmcalcError, `${ec.name}: not an LlmcalcError: ${thrown}`);
  assert.equal(thrown.name, 'LlmcalcError');
  assert.equal(thrown.code, ec.code, `${ec.name}: code ${thrown.code} (${thrown.message})`);
  for (const w of ec.words) {
    assert.ok(thrown.message.includes(w), `${ec.name}: message does not name "${w}": ${thrown.message}`);
  }
  return thrown;
}

test('errors throw an LlmcalcError with a code and a message naming the field; the module stays usable', async (t) => {
  const reference = calc.analyze(goodRequest());
  for (const ec of errorCases) {
    await t.test(ec.name, () => {
      expectError(ec);
      assert.deepStrictEqual(calc.analyze(goodRequest()), reference, `${ec.name}: a good analysis after the error differs`);
    });
  }
});

// ---------------------------------------------------------------------------
// stress: many errors and analyses in one instance

test('stress: 5,000 alternating errors and analyses leave results and the heap unchanged', (t) => {
  const request = goodRequest();
  const requestText = JSON.stringify(request);
  const reference = calc.analyze(request);
  const ref = { flops: reference.totals.flops, bytes: reference.totals.bytes, time: reference.totals.time_s,
    mem: reference.memory.total_bytes, ops: reference.ops.length };

  // The WebAssembly heap, reached through the Emscripten Module object (the factory options).
  const memory = factoryOptions.asm && factoryOptions.asm.memory instanceof WebAssembly.Memory
    ? factoryOptions.asm.memory : null;
  const canProbe = typeof factoryOptions._malloc === 'function' && typeof factoryOptions._free === 'function';
  // Where a large block lands: dlmalloc takes it from the top of the heap, so
  // anything leaked below the top moves it up.
  const heapTop = () => {
    const p = factoryOptions._malloc(4 << 20);
    assert.notEqual(p, 0, 'malloc(4 MiB) failed');
    factoryOptions._free(p);
    return p;
  };

  const iteration = (i) => {
    if (i % 2 === 0) {
      expectError(errorCases[(i / 2) % errorCases.length]);
    } else {
      // Alternate between object and text requests.
      const r = calc.analyze(i % 4 === 1 ? request : requestText);
      if (r.totals.flops !== ref.flops || r.totals.bytes !== ref.bytes || r.totals.time_s !== ref.time ||
          r.memory.total_bytes !== ref.mem || r.ops.length !== ref.ops) {
        assert.deepStrictEqual(r, reference, `iteration ${i}: the analysis changed`);
      }
      if (i % 501 === 0) assert.deepStrictEqual(r, reference, `iteration ${i}: the analysis changed`);
    }
  };

  // Warm up (first-use allocations, caches), then measure.
  for (let i = 0; i < 200; i += 1) iteration(i);
  globalThis.gc?.();
  const before = {
    wasmBytes: memory ? memory.buffer.byteLength : null,
    top: canProbe ? heapTop() : null,
    process: process.memoryUsage(),
  };
  const N = 5000;
  for (let i = 0; i < N; i += 1) iteration(i);
  globalThis.gc?.();
  const after = {
    wasmBytes: memory ? memory.buffer.byteLength : null,
    top: canProbe ? heapTop() : null,
    process: process.memoryUsage(),
  };
  assert.deepStrictEqual(calc.analyze(request), reference, 'the analysis after the stress run changed');

  const mib = (b) => (b / 1048576).toFixed(2);
  if (memory) {
    t.diagnostic(`wasm memory ${mib(before.wasmBytes)} MiB -> ${mib(after.wasmBytes)} MiB`);
    assert.equal(after.wasmBytes, before.wasmBytes, 'the WebAssembly memory grew during the stress run');
  }
  if (canProbe) {
    t.diagnostic(`heap top (malloc of 4 MiB) at ${before.top} -> ${after.top}`);
    assert.ok(after.top - before.top < 64 << 10,
      `the heap top moved ${after.top - before.top} bytes over ${N} calls: something leaks`);
  }
  if (!memory && !canProbe) {
    // No way into the heap: bound the process instead (generous; GC is not forced without --expose-gc).
    const ab = after.process.arrayBuffers - before.process.arrayBuffers;
    const rss = after.process.rss - before.process.rss;
    t.diagnostic(`WebAssembly heap not reachable; process arrayBuffers +${mib(ab)} MiB, rss +${mib(rss)} MiB`);
    assert.ok(ab < 64 << 20, `arrayBuffers grew by ${mib(ab)} MiB`);
    assert.ok(rss < 256 << 20, `rss grew by ${mib(rss)} MiB`);
  }
});

// ---------------------------------------------------------------------------
// sweep

test('sweep: a 5-point context sweep equals 5 separate analyses', () => {
  const request = {
    config: config('llama-3.1-8b'),
    workload: { input_tokens: [1, 1, 64], cached_tokens: [0, 100, 200], batch_size: 4 },
    precision: { weight_bits: 4, kv_cache_bits: 8 },
    hardware: hardware('h100-sxm'),
  };
  const values = [0, 1024, 4096, 16384, 131072];
  const sweep = calc.sweep(request, { variable: 'context', values });
  assert.equal(sweep.variable, 'context');
  assert.deepStrictEqual(sweep.values, values);
  for (const k of ['time_s', 'flops', 'bytes', 'kv_cache_bytes', 'total_memory_bytes', 'weights_bytes']) {
    assert.ok(Array.isArray(sweep[k]) && sweep[k].length === values.length, `sweep.${k} has ${values.length} values`);
  }
  values.forEach((v, i) => {
    // "context" sets every query's cached_tokens.
    const one = calc.analyze({ ...request, workload: { ...request.workload, cached_tokens: v } });
    assert.equal(sweep.time_s[i], one.totals.time_s, `time_s at context ${v}`);
    assert.equal(sweep.flops[i], one.totals.flops, `flops at context ${v}`);
    assert.equal(sweep.bytes[i], one.totals.bytes, `bytes at context ${v}`);
    assert.equal(sweep.kv_cache_bytes[i], one.memory.kv_cache_bytes, `kv_cache_bytes at context ${v}`);
    assert.equal(sweep.total_memory_bytes[i], one.memory.total_bytes, `total_memory_bytes at context ${v}`);
    assert.equal(sweep.weights_bytes[i], one.memory.weights_bytes, `weights_bytes at context ${v}`);
  });
  // The sweep grows with the context.
  for (let i = 1; i < values.length; i += 1) assert.ok(sweep.time_s[i] > sweep.time_s[i - 1]);
});

test('sweep: a batch-size sweep equals separate analyses, and a sweep without hardware has no times', () => {
  const request = { config: config('mixtral-8x7b'), workload: { input_tokens: 1, cached_tokens: 2000 } };
  const values = [1, 2, 8, 32, 128];
  const sweep = calc.sweep(request, { variable: 'batch_size', values });
  assert.equal(sweep.time_s, null);
  values.forEach((v, i) => {
    const one = calc.analyze({ ...request, workload: { ...request.workload, batch_size: v } });
    assert.equal(one.totals.time_s, null);
    assert.equal(sweep.flops[i], one.totals.flops, `flops at batch ${v}`);
    assert.equal(sweep.bytes[i], one.totals.bytes, `bytes at batch ${v}`);
    assert.equal(sweep.kv_cache_bytes[i], one.memory.kv_cache_bytes, `kv_cache_bytes at batch ${v}`);
    assert.equal(sweep.total_memory_bytes[i], one.memory.total_bytes, `total_memory_bytes at batch ${v}`);
  });
});
