// Plotly charts: roofline, memory breakdown, and costs against context length.
// Plotly is loaded as a classic script (UMD) and used as window.Plotly.
import * as fmt from './format.js';

const Plotly = () => window.Plotly;

// Plotly renders a small HTML subset in labels: escape anything that is not ours.
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1d2330'),
    muted: v('--muted', '#5b6475'),
    grid: v('--grid', '#e3e7ee'),
    prefill: v('--prefill', '#2563eb'),
    decode: v('--decode', '#ea580c'),
    custom: v('--custom', '#16a34a'),
    roof: v('--roof', '#111827'),
    accent: v('--accent', '#7c3aed'),
    danger: v('--danger', '#dc2626'),
    weights: v('--weights', '#2563eb'),
    kv: v('--kv', '#0891b2'),
    act: v('--act', '#a855f7'),
  };
}

function baseLayout(t, extra = {}) {
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif', size: 12, color: t.text },
    margin: { l: 64, r: 16, t: 28, b: 48 },
    hoverlabel: { font: { size: 12 } },
    legend: { orientation: 'h', y: -0.18, x: 0 },
    ...extra,
  };
}

const axis = (t, extra) => ({ gridcolor: t.grid, zerolinecolor: t.grid, linecolor: t.grid, ...extra });

function config(filename) {
  return {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ['select2d', 'lasso2d', 'autoScale2d'],
    toImageButtonOptions: { filename, format: 'png', scale: 2 },
  };
}

const SYMBOL = { matmul: 'circle', attention: 'diamond', elementwise: 'square' };
function opKind(op) {
  if (op.name === 'attn_scores' || op.name === 'attn_v') return 'attention';
  return op.type === 'matmul' ? 'matmul' : 'elementwise';
}

/** Operators that can sit on a log–log roofline: some FLOPs and some bytes. */
export function plottableOps(result) {
  return result.ops.filter((op) => op.flops > 0 && op.bytes > 0 && op.time_s > 0);
}

function roofTraces(hw, options, t, dash, xmin, xmax, showLegend, color) {
  const bw = hw.bandwidth_bytes_s * options.bandwidth_efficiency;
  // The solid roof is the peak at the model's main GEMM precision (the ridge point's);
  // the device's other precisions are dotted ceilings.
  const main = hw.ridge_point * bw;
  const traces = [
    {
      x: [xmin, hw.ridge_point, xmax],
      y: [bw * xmin, main, main],
      mode: 'lines',
      name: `${esc(hw.name)} roof`,
      line: { color: color || t.roof, width: 2, dash: dash || 'solid' },
      hovertemplate: `${esc(hw.name)}<br>bandwidth ${fmt.bandwidth(bw)}<br>peak ${fmt.flopRate(main)}<br>ridge ${fmt.sig3(hw.ridge_point)} FLOP/B<extra></extra>`,
      showlegend: showLegend,
    },
  ];
  if (dash) return traces; // overlays: the main roof only
  const seen = [main];
  for (const c of ['4-bit', '8-bit', '16-bit', 'fp32']) {
    const p = hw.peak_flops[c] * options.compute_efficiency;
    if (!(p > 0) || seen.some((q) => Math.abs(q - p) / p < 1e-9)) continue;
    seen.push(p);
    traces.push({
      x: [Math.max(xmin, p / bw), xmax],
      y: [Math.max(bw * xmin, p), p],
      mode: 'lines',
      name: `${c} peak`,
      line: { color: t.muted, width: 1, dash: 'dot' },
      hovertemplate: `${esc(hw.name)} ${c} peak ${fmt.flopRate(p)}<extra></extra>`,
      showlegend: false,
    });
  }
  return traces;
}

/**
 * The roofline: device roofs (main + overlays), the ridge point, and one point per
 * operator (with FLOPs and bytes) for each phase given.
 */
export function roofline(div, { phases, hardware, overlays = [], options, compact = false }) {
  const t = theme();
  const ops = phases.flatMap((ph) => plottableOps(ph.result).map((op) => ({ op, ph })));
  const xs = ops.map((o) => o.op.intensity);
  const ridge = hardware.ridge_point;
  const xmin = Math.max(1e-3, Math.min(...xs, ridge) / 4);
  const xmax = Math.max(...xs, ridge) * 8;
  const traces = [];
  const palette = ['#0d9488', '#9333ea', '#ca8a04', '#db2777', '#65a30d'];
  overlays.forEach((hw, i) => traces.push(...roofTraces(hw, options, t, 'dash', xmin, xmax, true, palette[i % palette.length])));
  traces.push(...roofTraces(hardware, options, t, null, xmin, xmax, true));

  for (const ph of phases) {
    for (const kind of ['matmul', 'attention', 'elementwise']) {
      const pts = plottableOps(ph.result).filter((op) => opKind(op) === kind);
      if (!pts.length) continue;
      traces.push({
        x: pts.map((op) => op.intensity),
        y: pts.map((op) => op.flops / op.time_s),
        mode: 'markers',
        type: 'scatter',
        name: `${ph.label} · ${kind}`,
        legendgroup: ph.label,
        marker: { color: t[ph.color] || t.prefill, symbol: SYMBOL[kind], size: compact ? 7 : 9, line: { width: 1, color: 'rgba(0,0,0,0.35)' }, opacity: 0.9 },
        text: pts.map((op) =>
          [
            `<b>${esc(op.name)}</b> (${esc(op.kind)}, ×${op.count}) · ${esc(ph.label)}`,
            `FLOPs ${fmt.flops(op.flops)} · bytes ${fmt.bytes(op.bytes)}`,
            `intensity ${fmt.intensity(op.intensity)}`,
            `time ${fmt.time(op.time_s)} · ${esc(op.bound)}-bound`,
          ].join('<br>'),
        ),
        hovertemplate: '%{text}<extra></extra>',
        meta: pts.map((op) => op.name),
      });
    }
  }
  const layout = baseLayout(t, {
    xaxis: axis(t, { type: 'log', title: { text: 'operational intensity (FLOP/byte)' }, range: [Math.log10(xmin), Math.log10(xmax)], dtick: 1 }),
    yaxis: axis(t, { type: 'log', title: { text: 'attainable FLOP/s' }, dtick: 1, tickformat: '~s' }),
    annotations: [
      {
        x: Math.log10(ridge),
        y: Math.log10(ridge * hardware.bandwidth_bytes_s * options.bandwidth_efficiency),
        text: `ridge ${fmt.sig3(ridge)} FLOP/B`,
        showarrow: true,
        arrowhead: 0,
        ax: 40,
        ay: 30,
        font: { color: t.text },
      },
    ],
    showlegend: !compact && div.clientWidth > 560,
    margin: compact ? { l: 52, r: 8, t: 8, b: 40 } : { l: 64, r: 16, t: 28, b: 48 },
  });
  return Plotly().react(div, traces, layout, config('llmcalc-roofline'));
}

/** Weights, KV cache and activations against the device capacity. */
export function memory(div, summary, hardware) {
  const t = theme();
  const parts = [
    ['weights', summary.weights, t.weights],
    [`KV cache (at ${summary.endContext.toLocaleString('en-US')} tokens)`, summary.kv, t.kv],
    ['activations (peak)', summary.activations, t.act],
  ];
  const gib = 2 ** 30;
  const traces = parts.map(([name, value, color]) => ({
    type: 'bar',
    orientation: 'h',
    y: ['this workload'],
    x: [value / gib],
    name,
    marker: { color },
    hovertemplate: `${esc(name)}: ${fmt.bytes(value)} (${fmt.decimalBytes(value)})<extra></extra>`,
  }));
  const shapes = [];
  const annotations = [];
  if (hardware) {
    const cap = hardware.memory_bytes / gib;
    shapes.push({ type: 'line', x0: cap, x1: cap, y0: -0.5, y1: 0.5, line: { color: summary.fits ? t.roof : t.danger, width: 2, dash: 'dash' } });
    annotations.push({ x: cap, y: 0.5, text: `${esc(hardware.name)}: ${fmt.decimalBytes(hardware.memory_bytes)} = ${fmt.bytes(hardware.memory_bytes)}`, showarrow: false, yanchor: 'bottom', font: { color: t.text } });
  }
  const layout = baseLayout(t, {
    barmode: 'stack',
    xaxis: axis(t, { title: { text: 'GiB' }, rangemode: 'tozero' }),
    yaxis: axis(t, { showticklabels: false }),
    shapes,
    annotations,
    height: 220,
    margin: { l: 16, r: 16, t: 36, b: 48 },
  });
  return Plotly().react(div, traces, layout, config('llmcalc-memory'));
}

/** Memory and decode-step time against context length (one decode step per point). */
export function context(memDiv, timeDiv, sweep, hardware, marker) {
  const t = theme();
  const gib = 2 ** 30;
  const idx = sweep.values.map((v, i) => i).filter((i) => sweep.values[i] > 0);
  const x = idx.map((i) => sweep.values[i]);
  const memTraces = [
    { x, y: idx.map((i) => sweep.weights_bytes[i] / gib), name: 'weights', mode: 'lines', stackgroup: 'm', line: { color: t.weights }, hovertemplate: 'weights %{y:.3s} GiB<extra></extra>' },
    { x, y: idx.map((i) => sweep.kv_cache_bytes[i] / gib), name: 'KV cache', mode: 'lines', stackgroup: 'm', line: { color: t.kv }, hovertemplate: 'KV cache %{y:.3s} GiB at %{x:,} tokens<extra></extra>' },
  ];
  const shapes = [];
  if (hardware) {
    const cap = hardware.memory_bytes / gib;
    shapes.push({ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: cap, y1: cap, line: { color: t.danger, width: 2, dash: 'dash' } });
    memTraces.push({ x: [x[0]], y: [cap], mode: 'lines', name: `${esc(hardware.name)} memory`, line: { color: t.danger, dash: 'dash' }, hoverinfo: 'skip' });
  }
  const vline = marker ? [{ type: 'line', x0: marker, x1: marker, yref: 'paper', y0: 0, y1: 1, line: { color: t.muted, width: 1, dash: 'dot' } }] : [];
  Plotly().react(
    memDiv,
    memTraces,
    baseLayout(t, {
      title: { text: 'Memory (batch included) against context length', font: { size: 13 } },
      xaxis: axis(t, { type: 'log', title: { text: 'context (tokens per sequence)' } }),
      yaxis: axis(t, { title: { text: 'GiB' }, rangemode: 'tozero' }),
      shapes: shapes.concat(vline),
    }),
    config('llmcalc-memory-vs-context'),
  );
  if (!sweep.time_s) return;
  Plotly().react(
    timeDiv,
    [{ x, y: idx.map((i) => sweep.time_s[i] * 1e3), name: 'decode step', mode: 'lines+markers', marker: { size: 4 }, line: { color: t.decode }, hovertemplate: '%{y:.3s} ms per step at %{x:,} tokens<extra></extra>' }],
    baseLayout(t, {
      title: { text: 'Decode step time against context length', font: { size: 13 } },
      xaxis: axis(t, { type: 'log', title: { text: 'context (tokens per sequence)' } }),
      yaxis: axis(t, { title: { text: 'ms per step' }, rangemode: 'tozero' }),
      shapes: vline,
      showlegend: false,
    }),
    config('llmcalc-decode-vs-context'),
  );
}

export function purge(div) {
  if (window.Plotly && div) window.Plotly.purge(div);
}

/** Per-step decode time over the generation, with the memory-bound share. */
export function generation(div, gen) {
  const t = theme();
  const s = gen.series;
  Plotly().react(
    div,
    [
      { x: s.step, y: s.time_s.map((v) => v * 1e3), name: 'step time', mode: 'lines', line: { color: t.decode }, hovertemplate: 'step %{x}: %{y:.3s} ms<extra></extra>' },
      { x: s.step, y: s.memory_bound_share.map((v) => 100 * v), name: 'memory-bound share', mode: 'lines', yaxis: 'y2', line: { color: t.kv, dash: 'dot' }, hovertemplate: '%{y:.1f} % of the step memory-bound<extra></extra>' },
    ],
    baseLayout(t, {
      title: { text: 'Decode step time over the generation', font: { size: 13 } },
      xaxis: axis(t, { title: { text: 'generated token' } }),
      yaxis: axis(t, { title: { text: 'ms per step' }, rangemode: 'tozero' }),
      yaxis2: axis(t, { title: { text: '% memory-bound' }, overlaying: 'y', side: 'right', range: [0, 105], showgrid: false }),
      margin: { l: 64, r: 64, t: 36, b: 48 },
    }),
    config('llmcalc-generation'),
  );
}

/** Training memory per device, stacked. */
export function trainingMemory(div, t, hardware) {
  const th = theme();
  const gib = 2 ** 30;
  const m = t.memory;
  const parts = [
    ['weights', m.weights_bytes, th.weights],
    ['gradients', m.gradients_bytes, th.decode],
    ['optimizer', m.optimizer_bytes, th.custom],
    ['activations', m.activations_bytes, th.act],
  ];
  const shapes = hardware ? [{ type: 'line', x0: hardware.memory_bytes / gib, x1: hardware.memory_bytes / gib, y0: -0.5, y1: 0.5, line: { color: th.danger, width: 2, dash: 'dash' } }] : [];
  Plotly().react(
    div,
    parts.map(([name, v, color]) => ({ type: 'bar', orientation: 'h', y: ['per device'], x: [v / gib], name, marker: { color }, hovertemplate: `${name}: ${fmt.bytes(v)}<extra></extra>` })),
    baseLayout(th, { barmode: 'stack', xaxis: axis(th, { title: { text: 'GiB' } }), yaxis: axis(th, { showticklabels: false }), shapes, height: 200, margin: { l: 16, r: 16, t: 16, b: 48 } }),
    config('llmcalc-training-memory'),
  );
}
