// Shared by the browser tests and the site benchmark: a local static server for
// the built site and Debian's Chromium driven by playwright-core (never a download).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SITE_DIR = process.env.LLMCALC_SITE_DIR || path.join(ROOT, 'build/wasm/site');
export const CHROMIUM = process.env.LLMCALC_CHROMIUM || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Serve the PARENT of the site folder, so the site lives under a sub-path
 * (/site/), as on a GitHub Pages project site. Returns {base, stop}.
 */
export async function serveSite() {
  if (!existsSync(path.join(SITE_DIR, 'index.html'))) {
    throw new Error(`no built site at ${SITE_DIR}: build it first (scripts/test does)`);
  }
  const port = await freePort();
  const dir = path.dirname(SITE_DIR);
  const sub = path.basename(SITE_DIR);
  const child = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}/${sub}/`;
  for (let i = 0; i < 100; i += 1) {
    try {
      const r = await fetch(base);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base, stop: () => child.kill() };
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const ready = (page, timeout = 20000) => page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout });
