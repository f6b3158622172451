// Site benchmark (not a test): sizes, page transfer, time to first result,
// recompute time, and the core's per-call time inside Chromium.
// Usage: node bench/site-bench.mjs   (after the wasm build; scripts/test runs it)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SITE_DIR, serveSite, launch, ready } from '../tests/browser/harness.mjs';

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;

function sizes() {
  const wasm = path.join(SITE_DIR, 'js/llmcalc-core.wasm');
  const glue = path.join(SITE_DIR, 'js/llmcalc-core.mjs');
  console.log('Sizes');
  console.log(`  wasm module     ${kb(statSync(wasm).size).padStart(11)} raw  ${kb(gz(wasm)).padStart(11)} gzip`);
  console.log(`  glue (mjs)      ${kb(statSync(glue).size).padStart(11)} raw  ${kb(gz(glue)).padStart(11)} gzip`);
  let raw = 0;
  let zipped = 0;
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else {
        raw += statSync(p).size;
        zipped += gz(p);
      }
    }
  };
  walk(SITE_DIR);
  console.log(`  whole site      ${kb(raw).padStart(11)} raw  ${kb(zipped).padStart(11)} gzip`);
}

const server = await serveSite();
const browser = await launch();
try {
  sizes();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  let transferred = 0;
  let gzTransfer = 0;
  page.on('response', async (r) => {
    try {
      const body = await r.body();
      transferred += body.length;
      gzTransfer += gzipSync(body, { level: 6 }).length;
    } catch {
      /* redirects have no body */
    }
  });
  const firstResult = [];
  for (let i = 0; i < 5; i += 1) {
    transferred = 0;
    gzTransfer = 0;
    await page.goto(server.base, { waitUntil: 'load' });
    await ready(page);
    firstResult.push(await page.evaluate(() => performance.getEntriesByName('llmcalc-first-result')[0].startTime));
  }
  console.log('Page');
  console.log(`  transfer, first load        ${kb(transferred)} as served here (no compression), ~${kb(gzTransfer)} with gzip (as GitHub Pages serves)`);
  console.log(`  navigation -> first result  ${median(firstResult).toFixed(0)} ms (median of 5 loads; ${firstResult.map((x) => x.toFixed(0)).join(', ')})`);

  const recompute = [];
  const compute = [];
  for (let i = 0; i < 20; i += 1) {
    const t = await page.evaluate(async (v) => {
      const before = window.llmcalcTimings;
      const input = document.querySelector('#prompt');
      const t0 = performance.now();
      input.value = String(v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      while (window.llmcalcTimings === before) await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => requestAnimationFrame(() => r()));
      return { total: performance.now() - t0, compute: window.llmcalcTimings.computeMs };
    }, 1000 + 37 * i);
    recompute.push(t.total);
    compute.push(t.compute);
  }
  console.log(`  input change -> re-rendered ${median(recompute).toFixed(1)} ms (median of 20; of which the core ${median(compute).toFixed(1)} ms: 3 analyses + a ${''}48-point context sweep)`);

  const core = await page.evaluate(async () => {
    const { loadLlmcalc } = await import('./js/llmcalc.js');
    const calc = await loadLlmcalc();
    const request = { config: calc.modelPreset('llama-3.1-8b').config, hardware: calc.hardwarePreset('h100-sxm'), workload: { input_tokens: 1, cached_tokens: 2048, batch_size: 16 } };
    for (let i = 0; i < 50; i += 1) calc.analyze(request);
    let t0 = performance.now();
    const n = 500;
    for (let i = 0; i < n; i += 1) calc.analyze(request);
    const analyzeUs = ((performance.now() - t0) * 1000) / n;
    const values = Array.from({ length: 1000 }, (_, i) => i * 128);
    t0 = performance.now();
    const m = 20;
    for (let i = 0; i < m; i += 1) calc.sweep(request, { variable: 'context', values });
    const sweepMs = (performance.now() - t0) / m;
    const hw = calc.hardwarePreset('h100-sxm');
    const genReq = { config: calc.modelPreset('llama-3.1-8b').config, hardware: hw, generation: { prompt_tokens: 2048, output_tokens: 256 } };
    for (let i = 0; i < 5; i += 1) calc.generation(genReq);
    t0 = performance.now();
    for (let i = 0; i < 20; i += 1) calc.generation(genReq);
    const genMs = (performance.now() - t0) / 20;
    return { analyzeUs, sweepMs, genMs };
  });
  console.log('Core inside the page (Chromium, WebAssembly)');
  console.log(`  one analysis (JSON in, JSON out)   ${core.analyzeUs.toFixed(0)} µs per call`);
  console.log(`  1,000-point context sweep          ${core.sweepMs.toFixed(2)} ms (${((core.sweepMs * 1000) / 1000).toFixed(2)} µs per point)`);
  console.log(`  2,048 + 256-token generation       ${core.genMs.toFixed(2)} ms (JSON in/out, with a 256-point series)`);
  await context.close();
} finally {
  await browser.close();
  server.stop();
}
