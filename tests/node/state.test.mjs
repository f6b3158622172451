// Property tests of the URL state (site/js/state.js): state -> URL -> state is the
// identity for random valid states, and hostile query strings never throw and
// always give a complete, valid state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { DEFAULTS, RANGES, toQuery, fromQuery, checkField } = await import(pathToFileURL(path.join(root, 'site/js/state.js')).href);

// A small deterministic generator (xorshift) so failures reproduce.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const CHOICES = {
  source: ['preset', 'paste', 'hf'],
  flops: ['2mnk', 'exact'],
  causal: ['triangle', 'square'],
  lmhead: ['last', 'all'],
  attn: ['fused', 'unfused'],
  mla: ['auto', 'absorbed', 'naive'],
  tab: ['ops', 'roofline', 'memory', 'generation', 'capacity', 'parallel', 'training', 'compare', 'model'],
  phase: ['prefill', 'decode', 'custom'],
  rankby: ['throughput', 'latency'],
  topt: ['adam', 'sgd'],
  trec: ['none', 'full'],
};

function randomState(r) {
  const s = { ...DEFAULTS };
  const pick = (list) => list[Math.floor(r() * list.length)];
  for (const [k, [lo, hi, integer]] of Object.entries(RANGES)) {
    if (r() < 0.5) continue;
    let v = lo + r() * Math.min(hi - lo, 1e6);
    if (integer) v = Math.round(v);
    if (/bits$/.test(k) && v > 0 && v < 1) v = 1;
    s[k] = v;
  }
  for (const [k, list] of Object.entries(CHOICES)) if (r() < 0.5) s[k] = pick(list);
  s.model = pick(['llama-3.1-8b', 'qwen3-30b-a3b', 'deepseek-v3', 'gpt2-xl', 'a.b-c_d']);
  s.hw = pick(['h100-sxm', 'custom', '8x-h200', 'rtx-4090']);
  s.cmp = r() < 0.5 ? '' : 'a100-80gb-sxm,l40s';
  s.cmpm = r() < 0.5 ? '' : 'llama-2-7b,mixtral-8x7b';
  s.queries = r() < 0.5 ? '' : '0:512, 4000:1';
  s.ltargets = pick(['all-linear', 'q_proj,v_proj']);
  if (s.source === 'paste') {
    // configs with unicode, quotes, markup and newlines must survive the trip
    s.cfg = JSON.stringify({ model_type: 'llama', name: `ünï "cödé" <b>${Math.floor(r() * 1e9)}</b>\n😀`, hidden_size: 64 });
  }
  if (s.source === 'hf') s.hf = pick(['meta-llama/Llama-3.1-8B', 'Qwen/Qwen3-8B', 'a/b']);
  return s;
}

const comparable = (s) => ({ ...s, cfg: s.source === 'paste' ? s.cfg : '', hf: s.source === 'hf' ? s.hf : '' });

test('state -> URL -> state is the identity for 500 random valid states', () => {
  const r = rng(20261123);
  for (let i = 0; i < 500; i += 1) {
    const s = randomState(r);
    for (const [k, v] of Object.entries(s)) assert.equal(checkField(k, v), null, `generator made an invalid ${k}=${v}`);
    const back = fromQuery(toQuery(s));
    assert.deepEqual(back.errors, [], `state ${i} gave errors`);
    assert.deepEqual(comparable(back.state), comparable(s), `state ${i} did not round-trip: ${toQuery(s)}`);
  }
});

test('hostile and malformed query strings fall back to valid defaults, never throw', () => {
  const r = rng(7);
  const nasty = ['%', '%%%', '?batch=1e999', '?batch=-1', '?batch=NaN', '?cfg=@@@', '?cfg=' + 'A'.repeat(300000),
    '?model=<script>alert(1)</script>', '?tab=__proto__', '?__proto__=1&constructor=2', '?hf=../../etc/passwd',
    '?queries=1:2:3', '?source=hf', '?source=paste', '?wbits=0.5', '?hw=' + 'x'.repeat(500), '?cmp=a,,b', '?ltargets=<x>'];
  for (let i = 0; i < 300; i += 1) {
    const len = Math.floor(r() * 80);
    let q = '?';
    for (let j = 0; j < len; j += 1) q += String.fromCharCode(32 + Math.floor(r() * 95));
    nasty.push(q);
  }
  for (const q of nasty) {
    const { state, errors } = fromQuery(q);
    for (const [k, v] of Object.entries(state)) assert.equal(checkField(k, v), null, `${q}: ${k}=${v} is invalid`);
    assert.ok(Array.isArray(errors));
    assert.equal(Object.getPrototypeOf(state), Object.prototype);
  }
});
