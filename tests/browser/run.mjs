// Browser tests of the built site in Debian's Chromium. Screenshots go to
// test-results/ (look at them). Usage: node tests/browser/run.mjs
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, serveSite, launch, ready } from './harness.mjs';

const OUT = path.join(ROOT, 'test-results');
mkdirSync(OUT, { recursive: true });

const TINY_CONFIG = {
  model_type: 'llama',
  hidden_size: 2048,
  intermediate_size: 5632,
  num_hidden_layers: 22,
  num_attention_heads: 32,
  num_key_value_heads: 4,
  vocab_size: 32000,
  torch_dtype: 'bfloat16',
};
// TinyLlama-1.1B's shape: 1,100,048,384 parameters (2·V·h + 22·(attention + FFN + norms) + h).
const TINY_PARAMS = 2 * 32000 * 2048 + 22 * (2048 * (2048 + 2 * 256) + 2048 * 2048 + 3 * 2048 * 5632 + 2 * 2048) + 2048;

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

let server;
let browser;

async function openPage(url, { viewport = { width: 1400, height: 1000 }, colorScheme = 'light', offline = true } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  const problems = [];
  const external = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    d.dismiss();
  });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1') return route.continue();
    external.push(u.href);
    return offline ? route.abort('internetdisconnected') : route.continue();
  });
  await page.goto(url);
  await ready(page);
  return { page, context, problems, external };
}

const text = (page, sel) => page.$eval(sel, (n) => n.textContent);
const shot = (page, name) => page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
const stat = (page, name) => text(page, `[data-stat="${name}"] .tile-value`);

async function rooflinePoints(page) {
  await page.click('.tabs [data-tab="roofline"]');
  await page.waitForFunction(() => document.querySelector('#roofline-plot')?.data?.length > 0);
  return page.evaluate(() => {
    const traces = document.querySelector('#roofline-plot').data.filter((t) => t.mode === 'markers');
    const expected = ['prefill', 'decode'].map((k) => window.llmcalcResults[k].ops.filter((op) => op.flops > 0 && op.bytes > 0 && op.time_s > 0).length);
    return { points: traces.reduce((n, t) => n + t.x.length, 0), expected: expected[0] + expected[1], names: traces.flatMap((t) => t.meta) };
  });
}

test('first load shows the default model with results, offline, under a sub-path', async () => {
  const { page, problems, external, context } = await openPage(server.base);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
  assert.match(await stat(page, 'params'), /^8\.03\s?B$/); // Llama-3.1-8B: 8,030,261,248
  assert.match(await page.getAttribute('[data-stat="params"] .fig', 'title'), /8,030,261,248 parameters/);
  const rows = await page.$$eval('#ops-table tbody tr', (r) => r.length);
  assert.ok(rows >= 15, `the operator table has ${rows} rows`);
  assert.match(await stat(page, 'ttft'), /ms|µs|s$/);
  assert.equal(await page.inputValue('#batch'), '1');
  assert.deepEqual(external, [], 'nothing is fetched from outside the page');
  assert.deepEqual(problems, []);
  await shot(page, '01-first-load');
  await context.close();
});

test('the roofline has a point per operator (prefill and decode)', async () => {
  const { page, problems, context } = await openPage(`${server.base}?model=qwen3-30b-a3b&hw=a100-80gb-sxm&cmp=h100-sxm`);
  const { points, expected, names } = await rooflinePoints(page);
  assert.equal(points, expected);
  for (const op of ['qkv_proj', 'attn_scores', 'experts_gate_up', 'router', 'lm_head']) assert.ok(names.includes(op), `${op} is plotted`);
  const roofs = await page.evaluate(() => document.querySelector('#roofline-plot').data.filter((t) => /roof$/.test(t.name)).map((t) => t.name));
  assert.equal(roofs.length, 2, `a roof per device: ${roofs}`);
  assert.deepEqual(problems, []);
  await shot(page, '02-roofline');
  await context.close();
});

test('pasting a config updates the summary, the table and the plot', async () => {
  const { page, problems, context } = await openPage(server.base);
  const before = await page.$$eval('#ops-table tbody tr', (r) => r.map((x) => x.textContent).join('|'));
  await page.click('[data-source="paste"]');
  await page.fill('#config-text', JSON.stringify(TINY_CONFIG));
  await page.click('#paste-apply');
  await page.waitForFunction((n) => window.llmcalcResults?.prefill.params.total === n, TINY_PARAMS);
  assert.match(await stat(page, 'params'), /^1\.10\s?B$/);
  assert.match(await text(page, '#model-status'), /Parsed: llama, 22 layers/);
  const after = await page.$$eval('#ops-table tbody tr', (r) => r.map((x) => x.textContent).join('|'));
  assert.notEqual(after, before);
  assert.match(page.url(), /source=paste/);
  const { points, expected } = await rooflinePoints(page);
  assert.equal(points, expected);
  assert.deepEqual(problems, []);
  await shot(page, '03-pasted-config');
  await context.close();
});

test('a bad config shows a clear error and the page keeps working', async () => {
  const { page, problems, context } = await openPage(server.base);
  await page.click('[data-source="paste"]');
  await page.fill('#config-text', '{"model_type": "llama", "hidden_size": 4096,');
  await page.click('#paste-apply');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await text(page, '#model-status'), /not valid JSON/);
  assert.match(await text(page, '#error'), /config: not valid JSON/);
  assert.match(await stat(page, 'params'), /^8\.03\s?B$/, 'the last good result stays');
  // A config with a wrong-typed field names the field.
  await page.fill('#config-text', JSON.stringify({ ...TINY_CONFIG, hidden_size: '2048' }));
  await page.click('#paste-apply');
  await page.waitForFunction(() => /config\.hidden_size must be an integer/.test(document.querySelector('#model-status').textContent));
  // An invalid number input marks the field and keeps the result; a valid one recomputes.
  await page.fill('#batch', '-3');
  assert.equal(await page.getAttribute('#batch', 'aria-invalid'), 'true');
  assert.match(await text(page, '#batch-msg'), /batch must be from 1/);
  await page.fill('#batch', '4');
  await page.waitForFunction(() => window.llmcalcResults?.summary && document.querySelector('[data-stat="throughput"] .tile-sub').textContent.includes('batch 4'));
  assert.equal(await page.getAttribute('#batch', 'aria-invalid'), null);
  assert.deepEqual(problems, []);
  await shot(page, '04-bad-config');
  await context.close();
});

test('a URL with state restores the view', async () => {
  const url = `${server.base}?model=mixtral-8x7b&hw=h200&batch=8&prompt=1024&gen=512&kvbits=8&flops=exact&tab=memory&phase=decode`;
  const { page, problems, context } = await openPage(url);
  assert.equal(await page.inputValue('#model-select'), 'mixtral-8x7b');
  assert.equal(await page.inputValue('#hw-select'), 'h200');
  assert.equal(await page.inputValue('#batch'), '8');
  assert.equal(await page.inputValue('#prompt'), '1024');
  assert.equal(await page.inputValue('#kvbits'), '8');
  assert.equal(await page.inputValue('#flops'), 'exact');
  assert.equal(await page.getAttribute('[data-tab="memory"]', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#memory-plot'), true);
  assert.equal(await page.getAttribute('[data-phase="decode"]', 'aria-pressed'), 'true');
  const r = await page.evaluate(() => window.llmcalcResults.decode);
  assert.equal(r.params.total, 46702792704);
  assert.equal(r.precision.kv_cache_bits, 8);
  assert.equal(r.options.flops, 'exact');
  assert.equal(r.workload.sequences, 8);
  // Changing an input rewrites the URL; reloading it gives the same view.
  await page.fill('#prompt', '3000');
  await page.waitForFunction(() => location.search.includes('prompt=3000'));
  await page.reload();
  await ready(page);
  assert.equal(await page.inputValue('#prompt'), '3000');
  assert.equal(await page.inputValue('#model-select'), 'mixtral-8x7b');
  assert.deepEqual(problems, []);
  await shot(page, '05-url-state');
  await context.close();
});

test('a pasted config survives a reload (URL and localStorage)', async () => {
  const { page, problems, context } = await openPage(server.base);
  await page.click('[data-source="paste"]');
  await page.fill('#config-text', JSON.stringify(TINY_CONFIG));
  await page.click('#paste-apply');
  await page.waitForFunction((n) => window.llmcalcResults?.prefill.params.total === n, TINY_PARAMS);
  await page.waitForFunction(() => location.search.includes('cfg='));
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => window.llmcalcResults.prefill.params.total), TINY_PARAMS);
  await page.goto(server.base); // a bare URL: the default model, the pasted text kept in the box
  await ready(page);
  assert.match(await page.inputValue('#config-text'), /"num_hidden_layers":22/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a malformed or hostile URL falls back to the default view with a message', async () => {
  const { page, problems, context } = await openPage(`${server.base}?batch=abc&model=../../etc&hw=h900&cfg=%%%&zzz=1&tab=<b>x</b>`);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
  const banner = await text(page, '#banner');
  assert.match(banner, /batch/);
  assert.match(banner, /h900/);
  assert.match(await stat(page, 'params'), /^8\.03\s?B$/);
  assert.equal(await page.$('#banner b'), null, 'no markup from the URL is rendered');
  assert.deepEqual(problems, []);
  await shot(page, '06-bad-url');
  await context.close();
});

test('fetching from the Hub: success, 401, 404 and offline messages', async () => {
  const { page, problems, context } = await openPage(server.base, { offline: false });
  const answers = { 'org/ok': [200, JSON.stringify({ ...TINY_CONFIG, model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true })], 'org/gated': [401, 'denied'], 'org/none': [404, 'nope'] };
  const seen = [];
  await context.route('https://huggingface.co/**', (route) => {
    const url = new URL(route.request().url());
    seen.push({ url: url.href, auth: route.request().headers().authorization || null });
    const id = url.pathname.split('/resolve/')[0].slice(1);
    if (id === 'org/offline') return route.abort('internetdisconnected');
    const [status, body] = answers[id] || [500, ''];
    return route.fulfill({ status, body, headers: { 'access-control-allow-origin': '*' } });
  });
  await page.click('[data-source="hf"]');
  const fetchId = async (id, token = '') => {
    await page.fill('#hf-id', id);
    await page.fill('#hf-token', token);
    await page.click('#hf-fetch');
    await page.waitForFunction(() => !document.querySelector('#hf-fetch').disabled);
    return text(page, '#model-status');
  };
  assert.match(await fetchId('org/gated'), /gated or private \(401\): add an access token/);
  assert.match(await fetchId('org/none'), /No config\.json found for org\/none.*404/);
  assert.match(await fetchId('org/offline'), /Could not reach huggingface\.co|offline/);
  assert.match(await fetchId('not a model id'), /owner\/name/);
  assert.match(await fetchId('org/ok', 'hf_secret_token'), /Fetched org\/ok: qwen2, 24 layers/);
  await page.waitForFunction(() => window.llmcalcResults.prefill.model.model_type === 'qwen2');
  assert.match(await stat(page, 'params'), /^494\s?M$/); // Qwen2.5-0.5B's shape: 494,032,768
  assert.equal(seen.at(-1).url, 'https://huggingface.co/org/ok/resolve/main/config.json');
  assert.equal(seen.at(-1).auth, 'Bearer hf_secret_token');
  assert.match(page.url(), /source=hf&hf=org%2Fok|hf=org%2Fok/);
  assert.ok(!page.url().includes('hf_secret_token'), 'the token is not in the URL');
  const stored = await page.evaluate(() => JSON.stringify(localStorage));
  assert.ok(!stored.includes('hf_secret_token'), 'the token is not stored');
  assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), []);
  await shot(page, '07-hub');
  await context.close();
});

test('the embed widget renders and links back to the same view', async () => {
  const { page, problems, context } = await openPage(`${server.base}embed.html?model=qwen3-8b&hw=rtx-4090&batch=2&prompt=1000`, { viewport: { width: 720, height: 560 } });
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
  assert.match(await text(page, '#embed-title'), /Qwen3 8B on NVIDIA GeForce RTX 4090/);
  assert.match(await stat(page, 'params'), /^8\.19\s?B$/);
  await page.waitForFunction(() => document.querySelector('#roofline-plot')?.data?.length > 0);
  const href = await page.getAttribute('#embed-link', 'href');
  assert.match(href, /model=qwen3-8b/);
  assert.match(href, /hw=rtx-4090/);
  assert.match(href, /batch=2/);
  assert.deepEqual(problems, []);
  await shot(page, '08-embed');
  await context.close();
});

test('export: the CSV has a row per operator', async () => {
  const { page, problems, context } = await openPage(`${server.base}?model=llama-2-7b`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const file = await download.path();
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const ops = await page.evaluate(() => window.llmcalcResults.prefill.ops.length);
  assert.equal(lines.length, ops + 1);
  assert.match(lines[0], /^name,kind,count,/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('phone width and dark theme', async () => {
  const { page, problems, context } = await openPage(`${server.base}?tab=roofline`, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px)`);
  await page.waitForFunction(() => document.querySelector('#roofline-plot')?.data?.length > 0);
  assert.deepEqual(problems, []);
  await shot(page, '09-phone-dark');
  await context.close();
});

test('planning tabs: generation, capacity, parallel, training, compare', async () => {
  const url = `${server.base}?model=llama-3.1-70b&hw=8x-h100-sxm&batch=16&cmpm=qwen3-32b&cmp=a100-80gb-sxm`;
  const { page, problems, context } = await openPage(url);
  assert.match(await text(page, '[data-stat="memory"] .tile-sub'), /fits: .* of 8 × 80/);
  await page.click('.tabs [data-tab="generation"]');
  await page.waitForFunction(() => document.querySelector('#gen-plot')?.data?.length === 2);
  const gen = await text(page, '#gen-summary');
  assert.match(gen, /time to first token/);
  assert.match(gen, /255 \(summed as the context grows/);
  const r = await page.evaluate(() => window.llmcalcResults.generation);
  assert.ok(r.tpot_last_s > r.tpot_first_s);
  await shot(page, '11-generation');
  await page.click('.tabs [data-tab="capacity"]');
  await page.waitForFunction(() => document.querySelector('#context-mem-plot')?.data?.length > 0);
  assert.match(await text(page, '#cap-summary'), /largest batch\s*\d[\d,]* sequences/);
  await page.fill('#memfrac', '0.5');
  await page.waitForFunction(() => window.llmcalcResults.capacity.capacity.memory_fraction === 0.5);
  await shot(page, '12-capacity');
  await page.click('.tabs [data-tab="parallel"]');
  await page.waitForSelector('#par-table tbody tr');
  const layouts = await page.$$eval('#par-table tbody tr', (rows) => rows.map((x) => x.textContent));
  assert.ok(layouts.length >= 5, `${layouts.length} layouts`);
  assert.match(layouts[0], /^★ TP\d/);
  await page.selectOption('#rankby', 'latency');
  await page.waitForFunction(() => location.search.includes('rankby=latency'));
  await shot(page, '13-parallel');
  await page.click('.tabs [data-tab="training"]');
  await page.waitForFunction(() => document.querySelector('#train-plot')?.data?.length === 4);
  assert.match(await text(page, '#train-summary'), /FLOPs per step/);
  await page.fill('#lrank', '16');
  await page.waitForFunction(() => /trainable/.test(document.querySelector('#train-summary').textContent) && location.search.includes('lrank=16'));
  assert.match(await text(page, '#train-summary'), /M trainable/);
  await shot(page, '14-training');
  await page.click('.tabs [data-tab="compare"]');
  await page.waitForSelector('#cmp-table tbody tr');
  const rows = await page.$$eval('#cmp-table tbody tr', (x) => x.length);
  assert.equal(rows, 4, 'two models × two devices');
  await shot(page, '15-compare');
  assert.deepEqual(problems, []);
  await context.close();
});

const PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><svg onload="window.__xss=3">';

test('untrusted strings never run and show as text: URL, pasted config, config keys, Hub', async () => {
  const bad = encodeURIComponent(PAYLOAD);
  const { page, problems, context } = await openPage(`${server.base}?model=${bad}&tab=${bad}&${bad}=1&queries=${bad}`, { offline: false });
  const injected = () => page.evaluate(() => ({ xss: window.__xss, nodes: document.querySelectorAll('main img, main svg:not(.main-svg):not([class]), #banner *:not(strong)').length }));
  assert.match(await text(page, '#banner'), /<img src=x/);  // the key shows literally
  assert.deepEqual(await injected(), { xss: undefined, nodes: 0 });
  // a config whose strings and keys are markup
  const cfg = { model_type: PAYLOAD, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100, [PAYLOAD]: PAYLOAD };
  await page.click('[data-source="paste"]');
  await page.fill('#config-text', JSON.stringify(cfg));
  await page.click('#paste-apply');
  await page.waitForFunction(() => window.llmcalcResults?.prefill.model.num_layers === 2);
  assert.match(await text(page, '#warnings'), /<img src=x onerror/);
  await page.click('.tabs [data-tab="model"]');
  assert.match(await text(page, '#model-details'), /<script>window.__xss=2<\/script>/);
  // a Hub answer carrying markup, and an id that is markup
  await context.route('https://huggingface.co/**', (route) => route.fulfill({ status: 404, body: PAYLOAD }));
  await page.click('[data-source="hf"]');
  await page.fill('#hf-id', 'org/model');
  await page.click('#hf-fetch');
  await page.waitForFunction(() => /404/.test(document.querySelector('#model-status').textContent));
  await page.fill('#hf-id', PAYLOAD);
  await page.click('#hf-fetch');
  await page.waitForFunction(() => /owner\/name/.test(document.querySelector('#model-status').textContent));
  for (const tab of ['ops', 'roofline', 'memory', 'model']) {
    await page.click(`.tabs [data-tab="${tab}"]`);
    await page.waitForTimeout(100);
  }
  assert.deepEqual(await injected(), { xss: undefined, nodes: 0 });
  assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), []);
  await shot(page, '10-payloads');
  await context.close();
});

test('the page works under its Content-Security-Policy (no inline script, no eval)', async () => {
  const { page, problems, context } = await openPage(`${server.base}?tab=roofline`);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
  const inline = await page.evaluate(() => [...document.scripts].filter((s) => !s.src).length);
  assert.equal(inline, 0, 'no inline <script>');
  const violations = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const seen = [];
        document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
        setTimeout(() => resolve(seen), 500);
      }),
  );
  assert.deepEqual(violations, []);
  await page.waitForFunction(() => document.querySelector('#roofline-plot')?.data?.length > 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the access token never reaches the URL, storage or an export', async () => {
  const { page, problems, context } = await openPage(server.base, { offline: false });
  const config = JSON.stringify({ model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true });
  await context.route('https://huggingface.co/**', (route) => route.fulfill({ status: 200, body: config, headers: { 'access-control-allow-origin': '*' } }));
  await page.click('[data-source="hf"]');
  await page.fill('#hf-id', 'org/gated');
  await page.fill('#hf-token', 'hf_SECRET123');
  await page.click('#hf-fetch');
  await page.waitForFunction(() => window.llmcalcResults?.prefill.model.model_type === 'qwen2');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const { readFileSync } = await import('node:fs');
  const exported = readFileSync(await download.path(), 'utf8');
  assert.ok(!exported.includes('hf_SECRET123'), 'not in the JSON export');
  assert.ok(!page.url().includes('hf_SECRET123'), 'not in the URL');
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!storage.includes('hf_SECRET123'), 'not in storage or cookies');
  // a reload keeps the model (from this browser's cache) but not the token
  await page.reload();
  await ready(page);
  assert.equal(await page.inputValue('#hf-token'), '');
  assert.equal(await page.evaluate(() => window.llmcalcResults.prefill.model.model_type), 'qwen2');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a failed fetch loses nothing: the settings and the pasted config stay', async () => {
  const { page, problems, context } = await openPage(`${server.base}?batch=6&prompt=777`, { offline: true });
  await page.click('[data-source="paste"]');
  await page.fill('#config-text', JSON.stringify(TINY_CONFIG));
  await page.click('#paste-apply');
  await page.waitForFunction((n) => window.llmcalcResults?.prefill.params.total === n, TINY_PARAMS);
  await page.click('[data-source="hf"]');
  await page.fill('#hf-id', 'org/any');
  await page.click('#hf-fetch');
  await page.waitForFunction(() => /reach|offline/i.test(document.querySelector('#model-status').textContent));
  assert.equal(await page.evaluate(() => window.llmcalcResults.prefill.params.total), TINY_PARAMS);
  assert.match(page.url(), /batch=6/);
  assert.match(page.url(), /cfg=/);
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => window.llmcalcResults.prefill.params.total), TINY_PARAMS);
  assert.equal(await page.inputValue('#batch'), '6');
  assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), []);
  await context.close();
});

// ---------------------------------------------------------------------------
let failed = 0;
try {
  server = await serveSite();
  browser = await launch();
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.fn();
      console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${t.name}\n     ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 6).join('\n     ')}`);
    }
  }
} finally {
  await browser?.close();
  server?.stop();
}
console.log(`\nbrowser tests: ${tests.length - failed} passed, ${failed} failed; screenshots in ${path.relative(process.cwd(), OUT) || '.'}/`);
process.exit(failed ? 1 : 0);
