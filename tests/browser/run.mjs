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
