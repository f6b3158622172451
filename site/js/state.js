// The page state: every input a user can set. It round-trips through the URL
// (query string) so a link reproduces the view; a pasted config is also kept in
// localStorage. Tokens for gated models are never part of the state.

export const DEFAULTS = Object.freeze({
  source: 'preset', // 'preset' | 'paste' | 'hf'
  model: 'llama-3.1-8b', // preset id (source = preset)
  hf: '', // Hugging Face model id (source = hf)
  cfg: '', // pasted config.json text (source = paste)
  hw: 'h100-sxm', // hardware preset id or 'custom'
  cmp: '', // more hardware preset ids to overlay on the roofline, comma-separated
  hwPeak: 989.4, // custom: dense 16-bit TFLOP/s
  hwBw: 3350, // custom: GB/s
  hwMem: 80, // custom: GB
  batch: 1,
  prompt: 2048,
  cached: 0,
  gen: 256,
  queries: '', // advanced: "cached:new, cached:new, ..." for one custom step
  wbits: 0, // 0 = from the checkpoint
  abits: 0,
  kvbits: 0,
  ebits: 0,
  flops: '2mnk',
  causal: 'triangle',
  lmhead: 'last',
  attn: 'fused',
  mla: 'auto',
  ceff: 1,
  beff: 1,
  memfrac: 0.9, // capacity: share of device memory a serving engine may use
  chunk: 0, // capacity: chunked-prefill size (0 = whole prompt)
  devices: 0, // parallel: device count (0 = the node's, or 8)
  rankby: 'throughput',
  tseq: 4096, // training: sequence length
  tmb: 1, // training: micro-batch (sequences per device)
  tdp: 8, // training: data-parallel devices
  topt: 'adam',
  tzero: 1,
  trec: 'none',
  tflash: 1,
  lrank: 0, // LoRA rank (0 = full fine-tuning)
  ltargets: 'all-linear',
  qlora: 0,
  tmeasured: 0, // measured step time in seconds (0 = none) for MFU
  cmpm: '', // compare: more model presets, comma-separated
  tab: 'ops',
  phase: 'prefill',
});

const CHOICES = {
  source: ['preset', 'paste', 'hf'],
  flops: ['2mnk', 'exact'],
  causal: ['triangle', 'square'],
  lmhead: ['last', 'all'],
  attn: ['fused', 'unfused'],
  mla: ['auto', 'absorbed', 'naive'],
  tab: ['ops', 'roofline', 'memory', 'generation', 'capacity', 'parallel', 'training', 'compare', 'model', 'context'],
  rankby: ['throughput', 'latency'],
  topt: ['adam', 'sgd'],
  trec: ['none', 'full'],
  phase: ['prefill', 'decode', 'custom'],
};

// Numeric fields: [min, max, integer?]. The core validates again; these keep the URL sane.
export const RANGES = {
  hwPeak: [1e-6, 1e9, false],
  hwBw: [1e-6, 1e9, false],
  hwMem: [1e-6, 1e9, false],
  batch: [1, 1e6, true],
  prompt: [1, 1e9, true],
  cached: [0, 1e9, true],
  gen: [1, 1e9, true],
  wbits: [0, 64, false],
  abits: [0, 64, false],
  kvbits: [0, 64, false],
  ebits: [0, 64, false],
  ceff: [1e-6, 1, false],
  beff: [1e-6, 1, false],
  memfrac: [0.01, 1, false],
  chunk: [0, 1e9, true],
  devices: [0, 65536, true],
  tseq: [1, 1e7, true],
  tmb: [1, 1e5, true],
  tdp: [1, 1e6, true],
  tzero: [0, 3, true],
  tflash: [0, 1, true],
  lrank: [0, 65536, true],
  qlora: [0, 1, true],
  tmeasured: [0, 1e6, false],
};

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
// LoRA targets: module names or all-linear
const HF_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const QUERIES_RE = /^\s*\d+\s*:\s*\d+\s*(,\s*\d+\s*:\s*\d+\s*)*$/;
const MAX_CFG_CHARS = 200000;

export function isValidHfId(id) {
  return HF_RE.test(id);
}

/** Parse "cached:new, cached:new" into [{cached_tokens, new_tokens}], or null if malformed. */
export function parseQueries(text) {
  if (!text || !QUERIES_RE.test(text) || text.length > 20000) return null;
  const list = text.split(',').map((pair) => {
    const [c, n] = pair.split(':').map((s) => Number(s.trim()));
    return { cached_tokens: c, new_tokens: n };
  });
  return list.length <= 4096 ? list : null;
}

/** Check one field; returns an error message or null. */
export function checkField(key, value) {
  if (Object.hasOwn(RANGES, key)) {
    const [lo, hi, integer] = RANGES[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
    if (integer && !Number.isInteger(value)) return 'must be a whole number';
    if (value < lo || value > hi) return `must be from ${lo} to ${hi}`;
    if (/bits$/.test(key) && value !== 0 && value < 1) return 'must be 0 (auto) or from 1 to 64';
    return null;
  }
  if (Object.hasOwn(CHOICES, key)) return CHOICES[key].includes(value) ? null : `must be one of ${CHOICES[key].join(', ')}`;
  if (key === 'model' || key === 'hw') return ID_RE.test(value) ? null : 'is not a valid id';
  if (key === 'hf') return value === '' || HF_RE.test(value) ? null : 'must look like owner/model';
  if (key === 'cmp' || key === 'cmpm') return value === '' || (value.split(',').length <= 8 && value.split(',').every((v) => ID_RE.test(v))) ? null : 'is not a list of ids';
  if (key === 'ltargets') return /^[a-z_-]+(,[a-z_-]+)*$/.test(value) && value.length < 300 ? null : 'must be module names like q_proj,v_proj or all-linear';
  if (key === 'queries') return value === '' || parseQueries(value) ? null : 'must look like 0:512, 1000:1';
  if (key === 'cfg') return value.length <= MAX_CFG_CHARS ? null : 'is too long';
  return 'is not a known setting';
}

// base64url of UTF-8, for the pasted config in the URL.
export function encodeText(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeText(b64) {
  const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** State -> query string (only what differs from the defaults). */
export function toQuery(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const v = state[key];
    if (v === DEFAULTS[key]) continue;
    if (key === 'cfg') {
      if (state.source === 'paste' && v) params.set('cfg', encodeText(v));
      continue;
    }
    if (key === 'hf' && state.source !== 'hf') continue;
    params.set(key, String(v));
  }
  return params.toString();
}

/**
 * Query string -> {state, errors}. Unknown or invalid parameters fall back to
 * their defaults and are reported; the result is always a complete, valid state.
 */
export function fromQuery(query) {
  const state = { ...DEFAULTS };
  const errors = [];
  let params;
  try {
    params = new URLSearchParams(query);
  } catch {
    return { state, errors: ['the link could not be read'] };
  }
  for (const [key, raw] of params) {
    if (!Object.hasOwn(DEFAULTS, key)) {
      errors.push(`unknown setting “${key.slice(0, 40)}” was ignored`);
      continue;
    }
    let value = raw;
    if (key === 'cfg') {
      try {
        value = decodeText(raw);
      } catch {
        errors.push('the pasted config in the link is damaged');
        continue;
      }
    } else if (typeof DEFAULTS[key] === 'number') {
      value = raw.trim() === '' ? NaN : Number(raw);
    }
    const problem = checkField(key, value);
    if (problem) {
      errors.push(`${key} ${problem}; the default was used`);
      continue;
    }
    state[key] = value;
  }
  if (state.source === 'paste' && !state.cfg) state.source = 'preset';
  if (state.source === 'hf' && !state.hf) state.source = 'preset';
  return { state, errors };
}

export function equalStates(a, b) {
  return Object.keys(DEFAULTS).every((k) => a[k] === b[k] || (k === 'hf' && a.source !== 'hf' && b.source !== 'hf') || (k === 'cfg' && a.source !== 'paste' && b.source !== 'paste'));
}
