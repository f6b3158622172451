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
  const generation = hardware
    ? calc.generation({ ...base, generation: { prompt_tokens: state.prompt, output_tokens: state.gen, batch_size: B, cached_tokens: state.cached, series_points: 128 } })
    : null;
  const capacity = hardware
    ? calc.capacity({
        ...base,
        capacity: { memory_fraction: state.memfrac, context: context + state.gen, batch_size: B, prompt_tokens: state.prompt, prefill_chunk: state.chunk },
      })
    : null;
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
    devices: hw ? hw.count : 1,
    capacity: hw ? hw.memory_bytes * hw.count : null,
    fits: hw ? total <= hw.memory_bytes * hw.count : null,
    ttft: prefill.totals.time_s,
    tpot: generation && generation.tpot_mean_s !== null ? generation.tpot_mean_s : decode.totals.time_s,
    tpotFirst: decode.totals.time_s,
    tokensPerSecond: generation ? generation.output_tokens_per_s : decode.totals.time_s ? B / decode.totals.time_s : null,
    e2e: generation ? generation.e2e_s : null,
    prefillTokensPerSecond: prefill.totals.time_s ? (B * state.prompt) / prefill.totals.time_s : null,
    context,
    endContext: context + state.gen,
    kvPerToken: prefill.kv_cache.bytes_per_token,
    statePerSequence: prefill.kv_cache.state_bytes_per_sequence,
  };
  return { prefill, decode, last, custom, sweep, generation, capacity, summary, hardware: hw, base, elapsedMs };
}

/** Parallel layouts for the decode step of the workload (computed when the tab is shown). */
export function runParallel(calc, state, results) {
  const hw = results.base.hardware;
  const devices = state.devices || (hw && hw.count > 1 ? hw.count : 8);
  return calc.parallel({
    ...results.base,
    workload: { batch_size: state.batch, queries: [{ cached_tokens: state.cached + state.prompt, new_tokens: 1 }] },
    parallel: { devices, rank_by: state.rankby },
  });
}

/** Training memory, FLOPs and time (computed when the tab is shown). */
export function runTraining(calc, state, results) {
  const training = {
    sequence_length: state.tseq,
    micro_batch: state.tmb,
    data_parallel: state.tdp,
    optimizer: state.topt,
    zero_stage: state.tzero,
    recompute: state.trec,
    flash_attention: state.tflash === 1,
    lora: state.lrank > 0 ? { rank: state.lrank, targets: state.ltargets.split(','), quantized_base: state.qlora === 1 } : null,
  };
  if (state.tmeasured > 0) training.measured_step_time_s = state.tmeasured;
  return calc.training({ ...results.base, training });
}

/**
 * The same workload for several models and devices: one row each with the
 * summary figures (computed when the tab is shown).
 */
export function runCompare(calc, state, models, devices) {
  const rows = [];
  for (const m of models) {
    for (const d of devices) {
      try {
        const r = runAll(calc, state, m.config, d.hardware);
        rows.push({ model: m.label, device: r.hardware ? r.hardware.name : d.label, summary: r.summary });
      } catch (err) {
        rows.push({ model: m.label, device: d.label, error: err.message });
      }
    }
  }
  return rows;
}
