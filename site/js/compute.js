// From page state to results: builds the core requests and runs them. Shared by
// the calculator page and the embed widget; all numbers come from the core.
import { parseQueries } from './state.js';

/** The hardware document for a state: a preset, or the custom figures. */
export function hardwareFor(calc, state) {
  if (state.hw === 'custom') {
    return {
      id: 'custom',
      name: 'Custom device',
      memory_gb: state.hwMem,
      memory_bandwidth_gbs: state.hwBw,
      peak_tflops: { bf16: state.hwPeak },
      source: 'entered by the user',
    };
  }
  return calc.hardwarePreset(state.hw);
}

function precisionOf(state) {
  const p = {};
  if (state.wbits) p.weight_bits = state.wbits;
  if (state.abits) p.activation_bits = state.abits;
  if (state.kvbits) p.kv_cache_bits = state.kvbits;
  if (state.ebits) p.embedding_bits = state.ebits;
  return p;
}

function optionsOf(state) {
  return {
    flops: state.flops,
    causal: state.causal,
    lm_head: state.lmhead,
    attention: state.attn,
    mla: state.mla,
    compute_efficiency: state.ceff,
    bandwidth_efficiency: state.beff,
  };
}

/** Log-spaced context lengths from 1 to `max`, `n` points, integers, increasing. */
export function contextPoints(max, n = 48) {
  const out = new Set([0]);
  for (let i = 0; i < n; i += 1) out.add(Math.round(Math.exp((Math.log(Math.max(2, max)) * i) / (n - 1))));
  out.add(max);
  return [...out].filter((v) => v <= max).sort((a, b) => a - b);
}

/**
 * Run every calculation the page shows. `config` is a config.json object or its
 * text. Throws the core's LlmcalcError on bad input.
 */
export function runAll(calc, state, config, hardware) {
  const base = { config, hardware, precision: precisionOf(state), options: optionsOf(state) };
  const B = state.batch;
  const context = state.cached + state.prompt;
  const request = (queries) => ({ ...base, workload: { batch_size: B, queries } });

  const t0 = performance.now();
  const prefill = calc.analyze(request([{ cached_tokens: state.cached, new_tokens: state.prompt }]));
  const decode = calc.analyze(request([{ cached_tokens: context, new_tokens: 1 }]));
  // The last generated token: the KV cache at its largest.
  const last = calc.analyze(request([{ cached_tokens: context + state.gen - 1, new_tokens: 1 }]));
  let custom = null;
  const queries = parseQueries(state.queries);
  if (queries) custom = calc.analyze(request(queries));

  const maxPos = prefill.model.max_position_embeddings || 0;
  const sweepMax = Math.max(maxPos, context + state.gen, 2048);
  const sweep = calc.sweep(request([{ cached_tokens: 0, new_tokens: 1 }]), {
    variable: 'context',
    values: contextPoints(sweepMax),
  });
  const elapsedMs = performance.now() - t0;

  const hw = prefill.hardware;
  const weights = prefill.memory.weights_bytes;
  const kv = last.memory.kv_cache_bytes;
  const activations = Math.max(prefill.memory.activation_bytes, last.memory.activation_bytes);
  const total = weights + kv + activations;
  const summary = {
    params: prefill.params,
    weights,
    kv,
    activations,
    total,
    capacity: hw ? hw.memory_bytes : null,
    fits: hw ? total <= hw.memory_bytes : null,
    ttft: prefill.totals.time_s,
    tpot: decode.totals.time_s,
    tokensPerSecond: decode.totals.time_s ? B / decode.totals.time_s : null,
    prefillTokensPerSecond: prefill.totals.time_s ? (B * state.prompt) / prefill.totals.time_s : null,
    context,
    endContext: context + state.gen,
    kvPerToken: prefill.kv_cache.bytes_per_token,
    statePerSequence: prefill.kv_cache.state_bytes_per_sequence,
  };
  return { prefill, decode, last, custom, sweep, summary, hardware: hw, elapsedMs };
}
