// The calculator page: inputs -> state -> core -> summary, table and plots.
import { loadLlmcalc } from './llmcalc.js';
import { DEFAULTS, fromQuery, toQuery, checkField, parseQueries } from './state.js';
import { runAll, hardwareFor, runParallel, runTraining, runCompare } from './compute.js';
import { renderSummary, renderWarnings, renderModelDetails, renderMemoryDetails, renderGeneration, renderCapacity, renderParallel, renderTraining, renderCompare } from './views.js';
import { renderTable } from './table.js';
import * as plots from './plots.js';
import { fetchHubConfig, HubError } from './hub.js';
import { el, $, $$, download } from './dom.js';

const STORE_PASTE = 'llmcalc.pastedConfig';
const STORE_HUB = 'llmcalc.hub:'; // + model id -> fetched config text (no token)

const store = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      /* storage full or blocked: the URL still holds the state */
    }
  },
};

// Inputs where 0 means "automatic" and shows as an empty field.
const ZERO_IS_AUTO = /bits$|^(devices|chunk|lrank|tmeasured)$/;

let calc;
let state;
let last = null; // last good results
let hubText = null; // config text of the current Hub model
let pending = 0;

function showBanner(messages) {
  const banner = $('#banner');
  if (!messages.length) {
    banner.hidden = true;
    return;
  }
  banner.replaceChildren(el('strong', {}, 'Some settings in the link were not usable: '), messages.join('; '), '.');
  banner.hidden = false;
}

function setStatus(text, kind = '') {
  const s = $('#model-status');
  s.textContent = text;
  s.className = `status ${kind}`;
}

function showError(err) {
  const box = $('#error');
  if (!err) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const code = err.code ? ` [${err.code}]` : '';
  box.replaceChildren(el('strong', {}, 'Cannot compute this: '), el('span', { class: 'msg' }, err.message || String(err)), el('span', { class: 'code' }, code));
  if (last) box.append(el('span', { class: 'hint' }, ' The last valid result is still shown.'));
  box.hidden = false;
}

// ---------- state <-> inputs

function writeInputs() {
  for (const input of $$('[data-key]')) {
    const key = input.dataset.key;
    if (input.id === 'hw-select' || input.id === 'model-select') continue;
    const v = state[key];
    input.value = ZERO_IS_AUTO.test(key) && v === 0 ? '' : String(v);
    input.removeAttribute('aria-invalid');
  }
  selectValue($('#model-select'), state.model);
  selectValue($('#hw-select'), state.hw);
  const cmp = new Set(state.cmp ? state.cmp.split(',') : []);
  for (const o of $('#cmp-select').options) o.selected = cmp.has(o.value);
  const cmpm = new Set(state.cmpm ? state.cmpm.split(',') : []);
  for (const o of $('#cmpm-select').options) o.selected = cmpm.has(o.value);
  if (state.source === 'paste') $('#config-text').value = state.cfg;
  if (state.source === 'hf') $('#hf-id').value = state.hf;
  showSource(state.source);
  $('#hw-custom').hidden = state.hw !== 'custom';
  for (const b of $$('.tabs [data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === state.tab));
  for (const p of $$('.tabpanel')) p.hidden = p.dataset.panel !== state.tab;
  for (const b of $$('[data-phase]')) b.setAttribute('aria-pressed', String(b.dataset.phase === state.phase));
}

function selectValue(select, value) {
  if (![...select.options].some((o) => o.value === value)) {
    select.append(el('option', { value }, value));
  }
  select.value = value;
}

function showSource(source) {
  for (const b of $$('[data-source]')) b.setAttribute('aria-selected', String(b.dataset.source === source));
  for (const p of $$('[data-pane]')) p.hidden = p.dataset.pane !== source;
}

function readInput(input) {
  const key = input.dataset.key;
  if (typeof DEFAULTS[key] === 'number') {
    if (ZERO_IS_AUTO.test(key) && input.value.trim() === '') return 0;
    return input.value.trim() === '' ? NaN : Number(input.value);
  }
  return input.value;
}

function onInput(event) {
  const input = event.target.closest('[data-key]');
  if (!input) return;
  const key = input.dataset.key;
  const value = readInput(input);
  const problem = checkField(key, value);
  const msgId = `${input.id}-msg`;
  document.getElementById(msgId)?.remove();
  if (problem) {
    input.setAttribute('aria-invalid', 'true');
    input.after(el('span', { id: msgId, class: 'field-error' }, `${input.labels?.[0]?.textContent || key} ${problem}`));
    return; // keep the last good result on screen
  }
  input.removeAttribute('aria-invalid');
  state = { ...state, [key]: value };
  if (key === 'hw') $('#hw-custom').hidden = value !== 'custom';
  if (key === 'model') state.source = 'preset';
  schedule();
}

// ---------- the model's config

function currentConfig() {
  if (state.source === 'paste') return state.cfg;
  if (state.source === 'hf') return hubText;
  return calc.modelPreset(state.model).config;
}

function modelLabel() {
  if (state.source === 'paste') return 'pasted config';
  if (state.source === 'hf') return state.hf;
  const p = presetsById.get(state.model);
  return p ? p.name : state.model;
}

// ---------- compute and render

function schedule() {
  if (pending) return;
  pending = requestAnimationFrame(() => {
    pending = 0;
    recompute();
  });
}

function recompute() {
  history.replaceState(null, '', `${location.pathname}${toQuery(state) ? '?' + toQuery(state) : ''}`);
  const config = currentConfig();
  if (config === null) return;
  let results;
  const t0 = performance.now();
  try {
    results = runAll(calc, state, config, hardwareFor(calc, state));
  } catch (err) {
    showError(err);
    document.body.dataset.state = 'error';
    return;
  }
  showError(null);
  last = results;
  render();
  // For the benchmark and for curious users in devtools: the last results and timings.
  window.llmcalcResults = last;
  window.llmcalcTimings = { computeMs: results.elapsedMs, recomputeMs: performance.now() - t0 };
  if (!performance.getEntriesByName('llmcalc-first-result').length) performance.mark('llmcalc-first-result');
  document.body.dataset.state = 'ready';
}

function phaseResult() {
  if (!last) return null;
  if (state.phase === 'decode') return last.decode;
  if (state.phase === 'custom' && last.custom) return last.custom;
  return last.prefill;
}

function render() {
  if (!last) return;
  const s = state;
  renderSummary($('#summary'), last, { modelLabel: modelLabel(), state: s });
  renderWarnings($('#warnings'), last.prefill.warnings);
  $('#hw-source').textContent = last.hardware ? `Figures: ${last.hardware.source}` : '';
  $('#hw-source').title = last.hardware ? last.hardware.source : '';
  const result = phaseResult();
  const captions = {
    prefill: `${s.batch} × ${s.prompt.toLocaleString('en-US')} prompt tokens${s.cached ? ` after ${s.cached.toLocaleString('en-US')} cached` : ''}`,
    decode: `one token for ${s.batch} sequence${s.batch > 1 ? 's' : ''} at context ${(s.cached + s.prompt).toLocaleString('en-US')}`,
    custom: last.custom ? `queries ${s.queries} × batch ${s.batch}` : 'set a per-query list under Workload',
  };
  $('#phase-caption').textContent = captions[s.phase === 'custom' && !last.custom ? 'custom' : s.phase];
  renderTable($('#ops-wrap'), result, render);
  renderVisiblePlots();
  renderModelDetails($('#model-details'), last.prefill.model);
  renderMemoryDetails($('#memory-details'), last);
}

function renderVisiblePlots() {
  if (!last || !window.Plotly) return;
  const options = last.prefill.options;
  if (state.tab === 'roofline') {
    const overlays = (state.cmp ? state.cmp.split(',') : []).filter((id) => id !== state.hw).flatMap((id) => {
      try {
        return [calc.analyze({ config: currentConfig(), workload: { input_tokens: 1 }, hardware: calc.hardwarePreset(id) }).hardware];
      } catch {
        return [];
      }
    });
    const phases = [
      { label: 'prefill', color: 'prefill', result: last.prefill },
      { label: 'decode', color: 'decode', result: last.decode },
    ];
    if (last.custom) phases.push({ label: 'custom', color: 'custom', result: last.custom });
    plots.roofline($('#roofline-plot'), { phases, hardware: last.hardware, overlays, options });
    const skipped = last.prefill.ops.filter((op) => !(op.flops > 0 && op.bytes > 0)).map((op) => op.name);
    $('#roofline-note').textContent =
      `One point per operator and step (colour: prefill / decode; shape: GEMM ●, attention ◆, elementwise ■). ` +
      (skipped.length ? `Not on a log–log plot: ${[...new Set(skipped)].join(', ')} (no FLOPs or no bytes).` : '');
  } else if (state.tab === 'memory') {
    plots.memory($('#memory-plot'), last.summary, last.hardware);
  } else if (state.tab === 'generation') {
    renderGeneration($('#gen-summary'), last, state);
    if (last.generation) plots.generation($('#gen-plot'), last.generation);
  } else if (state.tab === 'capacity') {
    renderCapacity($('#cap-summary'), last, state);
    plots.context($('#context-mem-plot'), $('#context-time-plot'), last.sweep, last.hardware, state.cached + state.prompt);
  } else {
    renderLazyTab();
  }
}

// Tabs whose numbers are computed only when shown.
function renderLazyTab() {
  try {
    if (state.tab === 'parallel') {
      renderParallel($('#par-wrap'), runParallel(calc, state, last), $('#par-caption'));
    } else if (state.tab === 'training') {
      const t = runTraining(calc, state, last);
      renderTraining($('#train-summary'), t);
      plots.trainingMemory($('#train-plot'), t, last.hardware);
    } else if (state.tab === 'compare') {
      const models = [{ label: modelLabel(), config: currentConfig() }];
      for (const id of state.cmpm ? state.cmpm.split(',') : []) {
        if (id !== state.model || state.source !== 'preset') models.push({ label: presetsById.get(id)?.name || id, config: calc.modelPreset(id).config });
      }
      const devices = [{ label: 'selected', hardware: hardwareFor(calc, state) }];
      for (const id of state.cmp ? state.cmp.split(',') : []) {
        if (id !== state.hw) devices.push({ label: id, hardware: calc.hardwarePreset(id) });
      }
      renderCompare($('#cmp-wrap'), runCompare(calc, state, models, devices));
    }
  } catch (err) {
    const box = $(`[data-panel="${state.tab}"] .table-wrap, [data-panel="${state.tab}"] .details-grid`);
    if (box) box.replaceChildren(el('p', { class: 'field-error' }, `Cannot compute this: ${err.message}`));
  }
}

// ---------- model sources

function applyPaste(text) {
  const trimmed = text.trim();
  if (!trimmed) {
    setStatus('Paste a config.json first.', 'warn');
    return;
  }
  try {
    const model = calc.parseConfig(trimmed);
    store.set(STORE_PASTE, trimmed);
    state = { ...state, source: 'paste', cfg: trimmed };
    setStatus(`Parsed: ${model.model_type || 'unknown type'}, ${model.num_layers} layers.`, 'ok');
    schedule();
  } catch (err) {
    setStatus(`Not usable: ${err.message}`, 'error');
    showError(err);
  }
}

async function fetchHub(id, token) {
  setStatus(`Fetching ${id} from the Hub…`);
  $('#hf-fetch').disabled = true;
  try {
    const text = await fetchHubConfig(id, token);
    const model = calc.parseConfig(text);
    hubText = text;
    store.set(STORE_HUB + id, text);
    state = { ...state, source: 'hf', hf: id };
    setStatus(`Fetched ${id}: ${model.model_type}, ${model.num_layers} layers.`, 'ok');
    schedule();
  } catch (err) {
    const msg = err instanceof HubError ? err.message : `The config of ${id} is not usable: ${err.message}`;
    setStatus(msg, 'error');
  } finally {
    $('#hf-fetch').disabled = false;
  }
}

// ---------- wiring

function wire() {
  document.addEventListener('input', onInput);
  document.addEventListener('change', (e) => {
    if (e.target.matches('select[data-key]')) onInput(e);
  });
  $('#cmpm-select').addEventListener('change', (e) => {
    state = { ...state, cmpm: [...e.target.selectedOptions].map((o) => o.value).slice(0, 8).join(',') };
    schedule();
  });
  $('#cmp-select').addEventListener('change', (e) => {
    state = { ...state, cmp: [...e.target.selectedOptions].map((o) => o.value).join(',') };
    schedule();
  });
  for (const b of $$('[data-source]')) {
    b.addEventListener('click', () => {
      showSource(b.dataset.source);
      if (b.dataset.source === 'preset') {
        state = { ...state, source: 'preset' };
        schedule();
      }
    });
  }
  for (const b of $$('.tabs [data-tab]')) {
    b.addEventListener('click', () => {
      state = { ...state, tab: b.dataset.tab };
      writeTabs();
      history.replaceState(null, '', `${location.pathname}?${toQuery(state)}`);
      renderVisiblePlots();
    });
  }
  for (const b of $$('[data-phase]')) {
    b.addEventListener('click', () => {
      state = { ...state, phase: b.dataset.phase };
      writeTabs();
      schedule();
    });
  }
  $('#paste-apply').addEventListener('click', () => applyPaste($('#config-text').value));
  $('#config-text').addEventListener('paste', () => setTimeout(() => applyPaste($('#config-text').value), 0));
  $('#config-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const text = await file.text();
    $('#config-text').value = text;
    applyPaste(text);
  });
  const dz = $('#dropzone');
  dz.addEventListener('dragover', (e) => {
    e.preventDefault();
    dz.classList.add('over');
  });
  dz.addEventListener('dragleave', () => dz.classList.remove('over'));
  dz.addEventListener('drop', async (e) => {
    e.preventDefault();
    dz.classList.remove('over');
    const file = e.dataTransfer.files[0];
    const text = file ? await file.text() : e.dataTransfer.getData('text/plain');
    $('#config-text').value = text;
    applyPaste(text);
  });
  $('#hf-fetch').addEventListener('click', () => fetchHub($('#hf-id').value.trim(), $('#hf-token').value.trim()));
  $('#hf-id').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') fetchHub($('#hf-id').value.trim(), $('#hf-token').value.trim());
  });
  $('#export-csv').addEventListener('click', () => {
    const r = phaseResult();
    if (r) download(`llmcalc-${state.phase}-operators.csv`, calc.opsCsv(r), 'text/csv');
  });
  $('#export-json').addEventListener('click', () => {
    if (!last) return;
    const doc = { state: { ...state }, summary: last.summary, prefill: last.prefill, decode: last.decode, last_token: last.last, custom: last.custom, context_sweep: last.sweep };
    download('llmcalc-result.json', JSON.stringify(doc, null, 2), 'application/json');
  });
  $('#copy-link').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      $('#copy-link').textContent = 'Copied';
    } catch {
      $('#copy-link').textContent = 'Copy the address bar';
    }
    setTimeout(() => ($('#copy-link').textContent = 'Copy link'), 1500);
  });
  $('#theme-toggle').addEventListener('click', () => {
    const dark = document.documentElement.getAttribute('data-theme') !== 'dark';
    document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
    store.set('llmcalc.theme', dark ? 'dark' : 'light');
    renderVisiblePlots();
  });
  window.addEventListener('load', renderVisiblePlots); // Plotly (deferred) may arrive after the first render
}

function writeTabs() {
  for (const b of $$('.tabs [data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === state.tab));
  for (const p of $$('.tabpanel')) p.hidden = p.dataset.panel !== state.tab;
  for (const b of $$('[data-phase]')) b.setAttribute('aria-pressed', String(b.dataset.phase === state.phase));
}

const presetsById = new Map();

function fillSelects(list) {
  const byFamily = new Map();
  for (const m of list.models) {
    presetsById.set(m.id, m);
    const fam = m.family || m.model_type;
    if (!byFamily.has(fam)) byFamily.set(fam, []);
    byFamily.get(fam).push(m);
  }
  $('#model-select').replaceChildren(
    ...[...byFamily].map(([fam, models]) => el('optgroup', { label: fam }, models.map((m) => el('option', { value: m.id }, m.name)))),
  );
  const byCat = new Map();
  for (const h of list.hardware) {
    if (!byCat.has(h.category)) byCat.set(h.category, []);
    byCat.get(h.category).push(h);
  }
  $('#hw-select').replaceChildren(
    ...[...byCat].map(([cat, hws]) => el('optgroup', { label: cat }, hws.map((h) => el('option', { value: h.id }, h.name)))),
    el('option', { value: 'custom' }, 'Custom device…'),
  );
  $('#cmp-select').replaceChildren(...list.hardware.map((h) => el('option', { value: h.id }, h.name)));
  $('#cmpm-select').replaceChildren(...list.models.map((m) => el('option', { value: m.id }, m.name)));
}

async function main() {
  document.body.dataset.state = 'loading';
  calc = await loadLlmcalc();
  const parsed = fromQuery(location.search);
  state = parsed.state;
  const problems = [...parsed.errors];
  fillSelects(calc.listPresets());
  if (state.source === 'preset' && !presetsById.has(state.model)) {
    problems.push(`there is no model preset “${state.model}”; the default was used`);
    state.model = DEFAULTS.model;
  }
  if (state.hw !== 'custom') {
    try {
      calc.hardwarePreset(state.hw);
    } catch {
      problems.push(`there is no hardware preset “${state.hw}”; the default was used`);
      state.hw = DEFAULTS.hw;
    }
  }
  if (state.source === 'paste') {
    try {
      calc.parseConfig(state.cfg);
      store.set(STORE_PASTE, state.cfg);
    } catch (err) {
      problems.push(`the config in the link is not usable (${err.message}); the default model was used`);
      state = { ...state, source: 'preset', cfg: '' };
    }
  } else {
    const saved = store.get(STORE_PASTE);
    if (saved) $('#config-text').value = saved;
  }
  if (state.phase === 'custom' && !parseQueries(state.queries)) state.phase = 'prefill';
  if (state.tab === 'context') state.tab = 'capacity'; // older links
  showBanner(problems);
  writeInputs();
  wire();
  if (state.source === 'hf') {
    const cached = store.get(STORE_HUB + state.hf);
    if (cached) {
      hubText = cached;
      setStatus(`${state.hf}: config from this browser's cache.`, 'ok');
    } else {
      // Show the default at once, then the requested Hub model when it arrives.
      const wanted = state.hf;
      state = { ...state, source: 'preset' };
      recompute();
      await fetchHub(wanted, '');
      return;
    }
  }
  recompute();
}

main().catch((err) => {
  document.body.dataset.state = 'error';
  showError(err);
});
