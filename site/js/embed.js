// The embeddable widget: one compact card (summary + roofline) configured by the
// same URL parameters as the calculator, with a link back to the full view.
import { loadLlmcalc } from './llmcalc.js';
import { fromQuery, toQuery } from './state.js';
import { runAll, hardwareFor } from './compute.js';
import { renderSummary } from './views.js';
import * as plots from './plots.js';
import { fetchHubConfig } from './hub.js';
import { el, $ } from './dom.js';

function fail(message) {
  const box = $('#error');
  box.replaceChildren(el('strong', {}, 'llmcalc: '), message);
  box.hidden = false;
  document.body.dataset.state = 'error';
}

async function main() {
  document.body.dataset.state = 'loading';
  const { state, errors } = fromQuery(location.search);
  const calc = await loadLlmcalc();
  const full = new URL('./', location.href);
  full.search = toQuery({ ...state, tab: 'roofline' });
  $('#embed-link').href = full.href;
  let config;
  let label;
  if (state.source === 'hf') {
    config = await fetchHubConfig(state.hf, '');
    label = state.hf;
  } else if (state.source === 'paste') {
    config = state.cfg;
    label = 'custom config';
  } else {
    const preset = calc.modelPreset(state.model);
    config = preset.config;
    label = preset.name;
  }
  const results = runAll(calc, state, config, hardwareFor(calc, state));
  $('#embed-title').textContent = `${label} on ${results.hardware.name} · batch ${state.batch}, ${state.prompt.toLocaleString('en-US')} prompt tokens`;
  renderSummary($('#summary'), results, { modelLabel: label, state, compact: true });
  if (errors.length) fail(errors.join('; '));
  const draw = () =>
    plots.roofline($('#roofline-plot'), {
      phases: [
        { label: 'prefill', color: 'prefill', result: results.prefill },
        { label: 'decode', color: 'decode', result: results.decode },
      ],
      hardware: results.hardware,
      options: results.prefill.options,
      compact: true,
    });
  if (window.Plotly) draw();
  else window.addEventListener('load', draw);
  document.body.dataset.state = errors.length ? 'error' : 'ready';
}

main().catch((err) => fail(err && err.message ? err.message : String(err)));
