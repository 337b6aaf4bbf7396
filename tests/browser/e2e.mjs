// End-to-end browser test of the HTML pages in headless Chromium (Debian's, driven by
// playwright-core): landing -> processes -> water-bodies form (bbox drawn on the map, then the
// sample items and AOI) -> live job page until `successful` -> results map with one quicklook
// layer per item at the item's bounds; the job list; dismissing a running job. Screenshots go
// to $SCREENSHOTS. Usage: STRATUS_URL=... SAMPLES=<`stratus samples` output> node e2e.mjs
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const base = process.env.STRATUS_URL;
const shots = process.env.SCREENSHOTS || 'tests/out/screenshots';
const samples = readFileSync(process.env.SAMPLES, 'utf8').trim().split('\n').map((l) => l.split('\t'));
const items = samples.map((s) => s[1]);
const aoi = samples[0][2].replace('aoi=', '');
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
// No request may leave this server: the pages work offline.
await context.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
  problems.push(`external request: ${url}`);
  return route.abort();
});

let step = 0;
async function shot(name) {
  step += 1;
  await page.screenshot({ path: `${shots}/${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
}
const t0 = Date.now();
function log(msg) { console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`); }

// Landing page, as a browser asks for it (no ?f=).
await page.goto(`${base}/`);
assert.equal(await page.locator('h1').textContent(), 'Stratus');
await shot('landing');
// Keyboard: the first Tab reaches the skip link.
await page.keyboard.press('Tab');
assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
log('landing page');

await page.getByRole('link', { name: 'Processes', exact: true }).first().click();
await page.waitForURL(/\/processes\?f=html$/);
await shot('processes');
await page.getByRole('link', { name: 'Water bodies detection' }).click();
await page.waitForURL(/\/processes\/water-bodies\?f=html$/);
await page.waitForFunction(() => window.stratus && window.stratus.ready);
log('process page');

// Draw an area on the map: the AOI field gets its coordinates.
await page.getByRole('button', { name: 'Draw on map' }).click();
await page.locator('#map').scrollIntoViewIfNeeded();
const box = await page.locator('#map').boundingBox();
await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
await page.mouse.down();
await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
await page.mouse.up();
const drawn = await page.locator('#in-aoi').inputValue();
assert.match(drawn, /^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$/, `drawn AOI: ${drawn}`);
const [w, s, e, n] = drawn.split(',').map(Number);
assert.ok(w < e && s < n, `drawn AOI ordered: ${drawn}`);
log(`drew ${drawn}`);

// The form, filled with the sample scenes and their AOI (labels find the controls).
await page.getByLabel(/Sentinel-2 STAC items/).fill(items.join('\n'));
await page.getByLabel(/Area of interest/).fill(aoi);
await page.getByLabel(/Area of interest/).dispatchEvent('change');
const rect = await page.evaluate(() => window.stratus.bbox.aoi);
assert.deepEqual(rect, aoi.split(',').map(Number));
await shot('water-bodies-form');
await page.getByRole('button', { name: 'Execute' }).click();
await page.waitForURL(/\/jobs\/[0-9a-f-]+\?f=html$/);
const jobUrl = page.url();
log(`submitted: ${jobUrl}`);
const seen = new Set();
for (let i = 0; i < 600; i += 1) {
  const status = await page.locator('#job-status .badge').getAttribute('data-status');
  seen.add(status);
  if (status === 'running' && !seen.has('shot-running')) { seen.add('shot-running'); await shot('job-running'); }
  if (['successful', 'failed', 'dismissed'].includes(status)) break;
  await page.waitForTimeout(200);
}
const final = await page.locator('#job-status .badge').getAttribute('data-status');
assert.equal(final, 'successful', `job ended ${final}: ${await page.locator('#job-message').textContent()}`);
assert.equal(await page.locator('#job-items').textContent(), '2 of 2 done');
assert.equal(await page.locator('#job-progress').getAttribute('value'), '100');
await shot('job-successful');
log(`job page reached successful without reload (seen ${[...seen].join(', ')})`);

await page.getByRole('link', { name: 'Results' }).click();
await page.waitForURL(/\/results\?f=html$/);
await page.waitForFunction(() => window.stratus.ready
  && window.stratus.layers.length > 0
  && window.stratus.layers.every((l) => l.images.every((i) => i.loaded || i.failed)), null, { timeout: 60000 });
const layers = await page.evaluate(() => window.stratus.layers.map((l) => ({
  id: l.id,
  bbox: l.bbox,
  onMap: window.stratus.map.hasLayer(l.images[0].layer),
  loaded: l.images.map((i) => i.loaded),
  url: l.images[0].url,
  bounds: (() => { const b = l.images[0].layer.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })(),
  footprint: (() => { const b = l.footprint.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })(),
  natural: [l.images[0].layer.getElement().naturalWidth, l.images[0].layer.getElement().naturalHeight],
})));
assert.equal(layers.length, 2, 'one layer per result item');
for (const l of layers) {
  assert.ok(l.onMap, `${l.id}: the mask layer is on the map`);
  assert.deepEqual(l.loaded, [true], `${l.id}: the quicklook loaded`);
  assert.match(l.url, /\/quicklook\/results\/.+\/otsu\.tif\?bbox=/);
  assert.ok(l.natural[0] > 100 && l.natural[1] > 100, `${l.id}: quicklook ${l.natural}`);
  l.bounds.forEach((v, i) => assert.ok(Math.abs(v - l.bbox[i]) < 1e-9, `${l.id}: bounds ${l.bounds} = bbox ${l.bbox}`));
  l.footprint.forEach((v, i) => assert.ok(Math.abs(v - l.bbox[i]) < 1e-6, `${l.id}: footprint ${l.footprint}`));
}
const view = await page.evaluate(() => { const b = window.stratus.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; });
assert.ok(view[0] <= layers[0].bbox[0] && view[2] >= layers[0].bbox[2], `the map shows the results: ${view}`);
assert.equal(await page.getByRole('link', { name: 'data' }).count(), 2, 'a download link per mask');
await page.locator('#map').scrollIntoViewIfNeeded();
await shot('results-map');
log(`results map: ${layers.map((l) => `${l.id} at ${l.bounds.map((v) => v.toFixed(4))}`).join('; ')}`);

// The job list with a filter.
await page.goto(`${base}/jobs?f=html`);
await page.getByLabel('Process').selectOption('water-bodies');
await page.getByRole('button', { name: 'Filter' }).click();
await page.waitForURL(/processID=water-bodies/);
assert.ok(await page.locator('table.jobs tbody tr').count() >= 1);
await shot('jobs');
log('job list');

// A running job, dismissed from its page.
const submitted = await page.evaluate(async (url) => {
  const r = await fetch(`${url}/processes/echo/execution`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
    body: JSON.stringify({ inputs: { stringInput: 'wait', pause: 60 } }),
  });
  return (await r.json()).jobID;
}, base);
await page.goto(`${base}/jobs/${submitted}?f=html`);
await page.waitForFunction(() => ['accepted', 'running'].includes(document.querySelector('#job-status .badge').dataset.status));
await page.getByRole('button', { name: 'Dismiss job' }).click();
await page.waitForFunction(() => document.querySelector('#job-status .badge').dataset.status === 'dismissed');
assert.match(await page.locator('#job-action-status').textContent(), /dismissed/);
await shot('job-dismissed');
log('dismissed a running job');


// The ingestion dashboard: an AOI of three Sentinel-1-like scenes with two burst chains,
// ingested through the ingestion routes (graph Pass: no downloads), then a tile failed and
// retried from the page.
const aoiName = 'e2e-lake';
async function call(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text;
}
await call('POST', `/aoi/${aoiName}`);
for (const d of [1, 2, 3]) {
  const tiles = {};
  const mapping = {};
  for (const t of [1, 2]) {
    const id = `S1_IW1_T${t}_d${d}`;
    tiles[id] = {
      previous_tile_id: d > 1 ? `S1_IW1_T${t}_d${d - 1}` : '',
      previous_scene_id: d > 1 ? `S1A_IW_SLC_2022010${d - 1}` : '',
      reference_tile_id: d > 1 ? `S1_IW1_T${t}_d1` : '',
      reference_scene_id: d > 1 ? 'S1A_IW_SLC_20220101' : '',
      data: { swath_id: 'IW1', tile_nr: t },
    };
    mapping[id] = { swath_id: 'IW1', tile_nr: t };
  }
  await call('POST', `/aoi/${aoiName}/scene`, {
    source_id: `S1A_IW_SLC_2022010${d}`, aoi: aoiName,
    data: { date: `2022-01-0${d}T00:00:00Z`, graph_name: 'Pass', tiles: mapping }, tiles,
  });
}
for (let i = 0; i < 100; i += 1) {
  if ((await call('GET', `/aoi/${aoiName}`)).includes('done:    6')) break;
  await new Promise((r) => setTimeout(r, 200));
}
await page.goto(`${base}/ingestion`);
await page.waitForFunction(() => window.stratus.ready);
const row = page.locator(`#aois tr[data-aoi="${aoiName}"]`);
assert.equal(await row.locator('[data-counts="scenes"]').textContent(), '0 / 0 / 3 / 0 / 0');
assert.equal(await row.locator('[data-counts="tiles"]').textContent(), '0 / 0 / 6 / 0 / 0');
await row.getByRole('button', { name: aoiName }).click();
await page.waitForFunction(() => document.querySelectorAll('#tiles tbody tr').length === 6);
const graph = await page.evaluate(() => window.stratus.ingestion.graph);
assert.deepEqual(graph, { nodes: 9, edges: 10, rows: 2, columns: 3 }, 'three scenes, two burst chains');
await shot('ingestion');
log('ingestion dashboard: AOI counts, scenes, tiles, chain graph');
// An AOI whose scene fails (an unknown graph), retried from the page.
await call('POST', '/aoi/e2e-fail');
await call('POST', '/aoi/e2e-fail/scene', {
  source_id: 'S1A_FAILING', aoi: 'e2e-fail',
  data: { date: '2022-01-01T00:00:00Z', graph_name: 'unknown-graph', tiles: { T1: { swath_id: 'IW1', tile_nr: 1 } } },
  tiles: { T1: { data: { swath_id: 'IW1', tile_nr: 1 } } },
});
for (let i = 0; i < 100; i += 1) {
  if ((await call('GET', '/aoi/e2e-fail')).includes('failed:  1')) break;
  await new Promise((r) => setTimeout(r, 200));
}
await page.evaluate(() => window.stratus.ingestion.refresh());
const failing = page.locator('#aois tr[data-aoi="e2e-fail"]');
await page.waitForFunction(() => document.querySelector('#aois tr[data-aoi="e2e-fail"] .badge')?.dataset.status === 'failed');
assert.equal(await failing.locator('[data-counts="scenes"]').textContent(), '0 / 0 / 0 / 0 / 1');
await failing.getByRole('button', { name: 'Force retry' }).click();
await page.waitForFunction(() => /Force retry e2e-fail: done \{"Scenes":1,"Tiles":0\}/.test(document.getElementById('ingest-status').textContent));
await failing.getByRole('button', { name: 'e2e-fail' }).click();
await page.waitForFunction(() => document.querySelectorAll('#scenes tbody tr').length === 1);
await shot('ingestion-retried');
log('retried the failed scene of an AOI from the page');

// The API documentation page.
await page.goto(`${base}/api?f=html`);
assert.ok(await page.locator('section.operation').count() >= 10);
log('API documentation');

await browser.close();
assert.deepEqual(problems, [], problems.join('\n'));
console.log(`browser e2e: all steps passed; screenshots in ${shots}`);
