// Summary strip, warnings, model details and memory details (DOM only, text only).
import { el, figure } from './dom.js';
import * as fmt from './format.js';

function tile(label, value, sub, extra = {}) {
  return el('div', { class: `tile ${extra.class || ''}`, dataset: extra.dataset || {} }, el('div', { class: 'tile-label' }, label), el('div', { class: 'tile-value' }, value), sub ? el('div', { class: 'tile-sub' }, sub) : null, extra.after || null);
}

export function renderSummary(container, results, { modelLabel, state, compact = false }) {
  const s = results.summary;
  const hw = results.hardware;
  const p = s.params;
  const moe = p.active !== p.total;
  const tiles = [];
  tiles.push(
    tile(
      compact ? 'Parameters' : `Parameters · ${modelLabel}`,
      figure(fmt.count(p.total), `${fmt.exact(p.total)} parameters`),
      moe ? [figure(fmt.count(p.active), `${fmt.exact(p.active)} active parameters`), ' active per token'] : 'dense: all active',
      { dataset: { stat: 'params' } },
    ),
  );
  const cap = hw ? hw.memory_bytes * hw.count : 0;
  const frac = hw ? s.total / cap : 0;
  const capText = hw ? (hw.count > 1 ? `${hw.count} × ${fmt.decimalBytes(hw.memory_bytes)}` : fmt.decimalBytes(hw.memory_bytes)) : '';
  const bar = el('div', { class: `fitbar ${s.fits ? 'ok' : 'over'}`, role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(100 * Math.min(frac, 1))), 'aria-label': 'memory use of the device' });
  const segs = [
    ['w', s.weights],
    ['k', s.kv],
    ['a', s.activations],
  ];
  for (const [cls, v] of segs) {
    const seg = el('span', { class: `seg-${cls}`, title: `${{ w: 'weights', k: 'KV cache', a: 'activations' }[cls]}: ${fmt.bytes(v)}` });
    seg.style.width = `${hw ? Math.min(100, (100 * v) / Math.max(cap, s.total)) : 0}%`;
    bar.append(seg);
  }
  tiles.push(
    tile(
      'Memory',
      [figure(fmt.bytes(s.total), `${fmt.exact(s.total, 'bytes')}`), el('span', { class: 'tile-alt' }, ` ${fmt.decimalBytes(s.total)}`)],
      hw
        ? s.fits
          ? `fits: ${fmt.percent(frac)} of ${capText}`
          : `does not fit: ${fmt.sig3(frac)}× the ${capText}${hw.count > 1 ? '' : ' of one device'}`
        : '',
      { class: s.fits === false ? 'bad' : '', dataset: { stat: 'memory', fits: String(s.fits) }, after: hw ? bar : null },
    ),
  );
  tiles.push(tile('Time to first token', figure(fmt.time(s.ttft), fmt.exact(s.ttft, 's')), hw && hw.count > 1 ? `one device's roofline; Parallel tab for all ${hw.count}` : `prefill ${fmt.rate(s.prefillTokensPerSecond, 'tok/s')}`, { dataset: { stat: 'ttft' } }));
  tiles.push(tile('Time per output token', figure(fmt.time(s.tpot), fmt.exact(s.tpot, 's')), `mean over ${state.gen.toLocaleString('en-US')} tokens from ${s.context.toLocaleString('en-US')}`, { dataset: { stat: 'tpot' } }));
  tiles.push(tile('Throughput', figure(fmt.rate(s.tokensPerSecond, 'tok/s'), fmt.exact(s.tokensPerSecond, 'tokens/s')), `batch ${state.batch}, end to end ${fmt.time(s.e2e)}`, { dataset: { stat: 'throughput' } }));
  if (!compact) {
    tiles.push(tile('KV cache per token', figure(fmt.bytes(s.kvPerToken), fmt.exact(s.kvPerToken, 'bytes per token')), `${s.statePerSequence ? `+ ${fmt.bytes(s.statePerSequence)} SSM state per sequence; ` : ''}${fmt.bytes(s.kv)} at ${s.endContext.toLocaleString('en-US')} tokens × ${state.batch}`, { dataset: { stat: 'kv' } }));
  }
  container.replaceChildren(...tiles);
}

export function renderWarnings(container, warnings) {
  if (!warnings || !warnings.length) {
    container.hidden = true;
    container.replaceChildren();
    return;
  }
  container.replaceChildren(el('strong', {}, 'Assumptions: '), el('ul', {}, warnings.map((w) => el('li', {}, w))));
  container.hidden = false;
}

function kv(label, value) {
  return [el('dt', {}, label), el('dd', {}, value)];
}

export function renderModelDetails(container, model) {
  const kinds = el(
    'table',
    { class: 'plain' },
    el('thead', {}, el('tr', {}, ['layer kind', 'layers', 'mixer', 'span', 'FFN'].map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      model.layer_kinds.map((k) => {
        const a = k.attention;
        const f = k.ffn;
        let attn;
        if (a.kind === 'attention') {
          attn = `${a.num_heads} heads × ${a.head_dim}, ${a.num_kv_heads} KV heads${a.qkv_bias ? ', qkv bias' : ''}${a.o_bias ? ', o bias' : ''}${a.qk_norm ? ', q/k norm' : ''}${a.sinks ? ', sinks' : ''}${a.position !== 'rope' ? `, ${a.position === 'none' ? 'no positions' : a.position}` : ''}`;
        } else if (a.kind === 'mla') {
          attn = `MLA: ${a.num_heads} heads, latent ${a.kv_lora_rank} + RoPE ${a.qk_rope_head_dim}${a.q_lora_rank ? `, q rank ${a.q_lora_rank}` : ''}${a.sparse_topk ? `, top-${a.sparse_topk} sparse` : ''}`;
        } else if (a.kind === 'mamba' || a.kind === 'mamba2') {
          attn = `${a.kind === 'mamba' ? 'Mamba' : 'Mamba-2'}: inner ${a.d_inner}, state ${a.d_state}, conv ${a.d_conv}${a.n_heads ? `, ${a.n_heads} heads` : ''}`;
        } else {
          attn = a.kind === 'linear' ? 'linear h×h' : '—';
        }
        const span = a.window ? `${a.window} tokens` : a.chunk ? `chunks of ${a.chunk}` : a.sparse_topk ? `top ${a.sparse_topk}` : a.kind === 'attention' || a.kind === 'mla' ? 'full' : '—';
        const ffn =
          f.kind === 'moe'
            ? `MoE: ${f.num_experts} experts × ${f.expert_intermediate_size}, top-${f.experts_per_token}${f.shared_intermediate_size ? `, shared ${f.shared_intermediate_size}` : ''}`
            : f.kind === 'dense'
              ? `${f.gated ? 'gated ' : ''}${f.activation}, ${f.intermediate_size}`
              : f.kind === 'linear'
                ? 'linear h×h'
                : '—';
        return el('tr', {}, el('td', {}, k.label), el('td', { class: 'num' }, String(k.count)), el('td', {}, attn), el('td', {}, span), el('td', {}, ffn));
      }),
    ),
  );
  const q = model.quantization;
  container.replaceChildren(
    el(
      'dl',
      { class: 'facts' },
      kv('model_type', model.model_type || '(none)'),
      kv('architecture', model.architecture || '–'),
      kv('hidden / layers / vocab', `${model.hidden_size} / ${model.num_layers} / ${model.vocab_size}`),
      kv('embeddings', model.tie_word_embeddings ? 'tied to the LM head' : 'separate LM head'),
      kv('dtype', `${model.dtype} (${model.dtype_bits} bits)`),
      kv('quantisation', q ? q.description : 'none'),
      kv('max context', model.max_position_embeddings ? model.max_position_embeddings.toLocaleString('en-US') : 'not given'),
      model.mtp_layers ? kv('multi-token prediction', `${model.mtp_layers} module(s), counted apart from the total`) : null,
      model.vision ? kv('vision', model.vision) : null,
    ),
    el('h3', {}, 'Layer kinds'),
    el('div', { class: 'table-wrap' }, kinds),
    el('h3', {}, 'Config fields'),
    el('p', {}, el('strong', {}, 'Used: '), model.fields_used.join(', ') || '–'),
    el('p', { class: 'hint' }, el('strong', {}, 'Ignored: '), model.fields_ignored.join(', ') || '–'),
  );
}

export function renderMemoryDetails(container, results) {
  const s = results.summary;
  const p = s.params;
  const rows = [
    ['embedding', p.embedding],
    ['attention', p.attention],
    ['state space (Mamba)', p.ssm],
    ['FFN (dense)', p.ffn_dense],
    ['routed experts', p.experts_routed],
    ['shared experts', p.experts_shared],
    ['routers', p.router],
    ['norms', p.norms],
    ['LM head', p.lm_head],
  ].filter(([, v]) => v > 0);
  const pr = results.prefill.precision;
  container.replaceChildren(
    el(
      'div',
      {},
      el('h3', {}, 'Parameters'),
      el(
        'table',
        { class: 'plain' },
        el('tbody', {}, rows.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { class: 'num', title: fmt.exact(v) }, fmt.count(v)), el('td', { class: 'num' }, fmt.percent(v / p.total))))),
        el('tfoot', {}, el('tr', {}, el('th', {}, 'total'), el('td', { class: 'num', title: fmt.exact(p.total) }, fmt.count(p.total)), el('td', {}, ''))),
      ),
    ),
    el(
      'div',
      {},
      el('h3', {}, 'Memory'),
      el(
        'dl',
        { class: 'facts' },
        kv('weights', `${fmt.bytes(s.weights)} (${fmt.decimalBytes(s.weights)})`),
        kv('KV cache', `${fmt.bytes(s.kv)} at ${s.endContext.toLocaleString('en-US')} tokens × batch`),
        kv('activations', `${fmt.bytes(s.activations)} (largest operator working set)`),
        kv('total', `${fmt.bytes(s.total)} (${fmt.decimalBytes(s.total)})`),
        kv('precision', `weights ${pr.attention_weight_bits}/${pr.ffn_weight_bits} bit (attn/FFN), embeddings ${pr.embedding_bits}, activations ${pr.activation_bits}, KV ${pr.kv_cache_bits}`),
      ),
    ),
  );
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v, title]) => [el('dt', {}, k), el('dd', { title }, v)]));
}

export function renderGeneration(container, results, state) {
  const g = results.generation;
  if (!g) {
    container.replaceChildren(el('p', { class: 'hint' }, 'Pick a device to see timings.'));
    return;
  }
  const s = state;
  container.replaceChildren(
    el(
      'div',
      {},
      el('h3', {}, 'Latency'),
      facts([
        ['time to first token', fmt.time(g.ttft_s), fmt.exact(g.ttft_s, 's')],
        ['time per output token', `${fmt.time(g.tpot_mean_s)} mean`, fmt.exact(g.tpot_mean_s, 's')],
        ['first / last step', g.tpot_first_s === null ? '–' : `${fmt.time(g.tpot_first_s)} → ${fmt.time(g.tpot_last_s)}`],
        ['end to end', fmt.time(g.e2e_s), fmt.exact(g.e2e_s, 's')],
        ['decode steps', `${g.decode_steps.toLocaleString('en-US')} (summed as the context grows to ${(s.cached + s.prompt + s.gen - 1).toLocaleString('en-US')})`],
      ]),
    ),
    el(
      'div',
      {},
      el('h3', {}, 'Throughput'),
      facts([
        ['output tokens / s (batch)', fmt.rate(g.output_tokens_per_s, 'tok/s'), fmt.exact(g.output_tokens_per_s, 'tokens/s')],
        ['per request', fmt.rate(g.request_tokens_per_s, 'tok/s')],
        ['decode only', fmt.rate(g.decode_tokens_per_s, 'tok/s')],
        ['prefill', fmt.rate(g.prefill_tokens_per_s, 'tok/s')],
        ['peak memory', `${fmt.bytes(g.peak_memory_bytes)} (${fmt.decimalBytes(g.peak_memory_bytes)})${g.fits ? '' : ' — does not fit one device'}`],
      ]),
    ),
  );
}

export function renderCapacity(container, results, state) {
  const c = results.capacity;
  if (!c) {
    container.replaceChildren(el('p', { class: 'hint' }, 'Pick a device to see its capacity.'));
    return;
  }
  const act = c.prefill_activation_bytes;
  container.replaceChildren(
    el(
      'div',
      {},
      el('h3', {}, 'What fits'),
      facts([
        ['memory budget', `${fmt.decimalBytes(c.budget_bytes)} (${fmt.percent(c.capacity.memory_fraction)} of ${c.capacity.devices} device${c.capacity.devices > 1 ? 's' : ''})`],
        ['weights (all experts)', `${fmt.bytes(c.weights_bytes)} (${fmt.decimalBytes(c.weights_bytes)})`],
        ['largest batch', c.max_batch ? `${c.max_batch.toLocaleString('en-US')} sequences at ${c.capacity.context.toLocaleString('en-US')} tokens` : 'not even one sequence fits'],
        ['longest context', c.max_context_unbounded ? 'not limited by memory' : c.max_context ? `${c.max_context.toLocaleString('en-US')} tokens at batch ${state.batch}` : 'not even one token fits'],
        ['KV-cache capacity', c.kv_token_capacity === null ? 'no per-token cache' : `${Math.max(0, c.kv_token_capacity).toLocaleString('en-US')} tokens`],
        ['devices needed', `${c.min_devices} for batch ${state.batch} at ${c.capacity.context.toLocaleString('en-US')} tokens`],
      ]),
    ),
    el(
      'div',
      {},
      el('h3', {}, 'Cache and activations'),
      facts([
        ['KV per token', fmt.bytes(c.kv_bytes_per_token)],
        c.state_bytes_per_sequence ? ['SSM state per sequence', fmt.bytes(c.state_bytes_per_sequence)] : null,
        ['prefill activations (FlashAttention)', fmt.bytes(act.fused)],
        ['… with materialised scores', fmt.bytes(act.unfused)],
        [`… chunked (${state.chunk || 'off'})`, fmt.bytes(act.chunked)],
      ]),
    ),
  );
}

export function renderParallel(container, par, caption) {
  const head = ['layout', 'fits', 'weights / device', 'KV / device', 'total / device', 'step', 'communication', 'tokens/s', 'latency / token'];
  const rows = par.layouts.map((l, i) =>
    el(
      'tr',
      { class: `${i === par.best ? 'best' : ''} ${l.fits ? '' : 'nofit'}` },
      el('td', {}, `${i === par.best ? '★ ' : ''}TP${l.tp} · PP${l.pp} · EP${l.ep} · DP${l.dp}`),
      el('td', {}, l.fits ? 'yes' : 'no'),
      el('td', { class: 'num' }, fmt.bytes(l.per_device.weights_bytes)),
      el('td', { class: 'num' }, fmt.bytes(l.per_device.kv_cache_bytes)),
      el('td', { class: 'num' }, fmt.bytes(l.per_device.total_bytes)),
      el('td', { class: 'num' }, fmt.time(l.time.step_s)),
      el('td', { class: 'num' }, fmt.time(l.time.communication_s)),
      el('td', { class: 'num' }, fmt.rate(l.time.tokens_per_s, 'tok/s')),
      el('td', { class: 'num' }, fmt.time(l.time.latency_per_token_s)),
    ),
  );
  caption.textContent = `${par.layouts.length} layouts; ★ = best by the chosen measure among those that fit.`;
  container.replaceChildren(el('table', { class: 'ops cmp', id: 'par-table' }, el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)));
}

export function renderTraining(container, t) {
  const f = t.flops;
  const m = t.memory;
  const time = t.time || {};
  container.replaceChildren(
    el(
      'div',
      {},
      el('h3', {}, 'Compute'),
      facts([
        ['parameters', `${fmt.count(t.params.total)} total · ${fmt.count(t.params.trainable)} trainable`],
        ['FLOPs per step', `${fmt.flops(f.total)} (forward ${fmt.flops(f.forward)}, backward ${fmt.flops(f.backward)}${f.recompute ? `, recompute ${fmt.flops(f.recompute)}` : ''})`],
        ['model FLOPs per token', `${fmt.flops(f.model_flops_per_token)} (6·N·tokens per step: ${fmt.flops(f.six_n)})`],
        ['step time', time.step_s == null ? '–' : fmt.time(time.step_s)],
        ['throughput', time.tokens_per_s == null ? '–' : `${fmt.rate(time.tokens_per_s, 'tok/s')} · ${fmt.count(time.tokens_per_day)} tokens/day`],
        ['MFU', time.mfu == null ? 'enter a measured step time' : fmt.percent(time.mfu)],
      ]),
    ),
    el(
      'div',
      {},
      el('h3', {}, 'Memory per device'),
      facts([
        ['weights', fmt.bytes(m.weights_bytes)],
        ['gradients', fmt.bytes(m.gradients_bytes)],
        ['optimizer states', fmt.bytes(m.optimizer_bytes)],
        ['activations', fmt.bytes(m.activations_bytes)],
        ['total', `${fmt.bytes(m.total_bytes)} (${fmt.decimalBytes(m.total_bytes)})${m.fits === false ? ' — does not fit' : m.fits ? ' — fits' : ''}`],
      ]),
    ),
  );
}

export function renderCompare(container, rows) {
  const head = ['model', 'device', 'params', 'active', 'memory', 'fits', 'TTFT', 'TPOT', 'tokens/s'];
  container.replaceChildren(
    el(
      'table',
      { class: 'ops cmp', id: 'cmp-table' },
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        {},
        rows.map((r) =>
          r.error
            ? el('tr', {}, el('td', {}, r.model), el('td', {}, r.device), el('td', { colspan: 7 }, r.error))
            : el(
                'tr',
                { class: r.summary.fits ? '' : 'nofit' },
                el('td', {}, r.model),
                el('td', {}, r.device),
                el('td', { class: 'num' }, fmt.count(r.summary.params.total)),
                el('td', { class: 'num' }, fmt.count(r.summary.params.active)),
                el('td', { class: 'num' }, fmt.bytes(r.summary.total)),
                el('td', {}, r.summary.fits ? 'yes' : 'no'),
                el('td', { class: 'num' }, fmt.time(r.summary.ttft)),
                el('td', { class: 'num' }, fmt.time(r.summary.tpot)),
                el('td', { class: 'num' }, fmt.rate(r.summary.tokensPerSecond, 'tok/s')),
              ),
        ),
      ),
    ),
  );
}
