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
  const frac = hw ? s.total / hw.memory_bytes : 0;
  const bar = el('div', { class: `fitbar ${s.fits ? 'ok' : 'over'}`, role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(100 * Math.min(frac, 1))), 'aria-label': 'memory use of the device' });
  const segs = [
    ['w', s.weights],
    ['k', s.kv],
    ['a', s.activations],
  ];
  for (const [cls, v] of segs) {
    const seg = el('span', { class: `seg-${cls}`, title: `${{ w: 'weights', k: 'KV cache', a: 'activations' }[cls]}: ${fmt.bytes(v)}` });
    seg.style.width = `${hw ? Math.min(100, (100 * v) / Math.max(hw.memory_bytes, s.total)) : 0}%`;
    bar.append(seg);
  }
  tiles.push(
    tile(
      'Memory',
      [figure(fmt.bytes(s.total), `${fmt.exact(s.total, 'bytes')}`), el('span', { class: 'tile-alt' }, ` ${fmt.decimalBytes(s.total)}`)],
      hw
        ? s.fits
          ? `fits: ${fmt.percent(frac)} of ${fmt.decimalBytes(hw.memory_bytes)}`
          : `does not fit: ${fmt.sig3(frac)}× the ${fmt.decimalBytes(hw.memory_bytes)} of one device`
        : '',
      { class: s.fits === false ? 'bad' : '', dataset: { stat: 'memory', fits: String(s.fits) }, after: hw ? bar : null },
    ),
  );
  tiles.push(tile('Time to first token', figure(fmt.time(s.ttft), fmt.exact(s.ttft, 's')), `prefill ${fmt.rate(s.prefillTokensPerSecond, 'tok/s')}`, { dataset: { stat: 'ttft' } }));
  tiles.push(tile('Time per output token', figure(fmt.time(s.tpot), fmt.exact(s.tpot, 's')), `decode step at ${s.context.toLocaleString('en-US')} tokens`, { dataset: { stat: 'tpot' } }));
  tiles.push(tile('Throughput', figure(fmt.rate(s.tokensPerSecond, 'tok/s'), fmt.exact(s.tokensPerSecond, 'tokens/s')), `batch ${state.batch} decoding`, { dataset: { stat: 'throughput' } }));
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
