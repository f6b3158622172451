// llmcalc — the one loader of the WebAssembly core. It creates the module once,
// caches it, and exposes plain functions over plain data. A core error becomes
// an LlmcalcError (an Error with a stable `code`); the module stays usable.
import createLlmcalcModule from './llmcalc-core.mjs';

export class LlmcalcError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'LlmcalcError';
    this.code = code;
  }
}

let pending = null;

function unwrap(text) {
  const envelope = JSON.parse(text);
  if (!envelope.ok) throw new LlmcalcError(envelope.error.code, envelope.error.message);
  return envelope.result;
}

function asText(value, what) {
  if (typeof value === 'string') return value;
  if (value === undefined) throw new LlmcalcError('invalid_argument', `${what} is required`);
  return JSON.stringify(value);
}

function wrap(module) {
  return Object.freeze({
    version: module.version(),
    /** One analysis: request = {config, workload, precision, options, hardware}. */
    analyze: (request) => unwrap(module.analyze(asText(request, 'request'))),
    /** The same analysis over one variable: sweep = {variable: 'context'|'batch_size', values: [...]}. */
    sweep: (request, sweep) => unwrap(module.sweep(asText(request, 'request'), asText(sweep, 'sweep'))),
    /** A request's timeline: request + {generation: {prompt_tokens, output_tokens, batch_size}}. */
    generation: (request) => unwrap(module.generation(asText(request, 'request'))),
    /** What fits: request + {capacity: {memory_fraction, devices, context, batch_size, ...}}. */
    capacity: (request) => unwrap(module.capacity(asText(request, 'request'))),
    /** Parallel layouts: request + {parallel: {devices, tp, pp, ep, dp, rank_by, ...}}. */
    parallel: (request) => unwrap(module.parallel(asText(request, 'request'))),
    /** Training: request + {training: {sequence_length, micro_batch, data_parallel, ...}}. */
    training: (request) => unwrap(module.training(asText(request, 'request'))),
    /** Parse a config.json (object or text): layer kinds, fields used / ignored, warnings. */
    parseConfig: (config) => unwrap(module.parseConfig(asText(config, 'config'))),
    listPresets: () => unwrap(module.listPresets()),
    modelPreset: (id) => unwrap(module.modelPreset(String(id))),
    hardwarePreset: (id) => unwrap(module.hardwarePreset(String(id))),
    /** The operator table of a result as CSV text. */
    opsCsv: (result) => unwrap(module.opsCsv(asText(result, 'result'))),
  });
}

/**
 * Load the core once. `options` go to the Emscripten factory on the first call
 * only (e.g. {wasmBinary} in Node); later calls return the cached instance.
 */
export function loadLlmcalc(options = {}) {
  if (!pending) {
    pending = createLlmcalcModule(options).then(wrap, (err) => {
      pending = null;
      throw new LlmcalcError('load_failed', `could not load the llmcalc WebAssembly module: ${err && err.message ? err.message : err}`);
    });
  }
  return pending;
}
