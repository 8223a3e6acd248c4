// check.mjs - open floodwatch's HTML report in Debian's chromium and check it
// from the page: no console or page errors, no network, every section, every
// chart drawn (marks of non-zero size, titles, ticks), the incident shading
// and its labels, no overlapping chart text; then a full-page screenshot.
//
//   node check.mjs REPORT.html SCREENSHOT.png [EPISODES]
//
// EPISODES, when given, is the number of attack episodes the report must
// show (bands in the traffic chart, rows in the episode table).  Prints one
// line per check and, last, "RESULT passed=N failed=M"; exits 1 on a failure.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [reportPath, shotPath, episodesArg] = process.argv.slice(2);
if (!reportPath || !shotPath) {
  console.error('usage: node check.mjs REPORT.html SCREENSHOT.png [EPISODES]');
  process.exit(2);
}
const episodes = episodesArg === undefined ? null : Number(episodesArg);

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
  }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-report-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    offline: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());

  const consoleErrors = [];
  const pageErrors = [];
  const requests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('request', (req) => {
    if (!req.url().startsWith('file:')) requests.push(req.url());
  });
  await context.route('**/*', (route) =>
    route.request().url().startsWith('file:') ? route.continue() : route.abort());

  const url = pathToFileURL(path.resolve(reportPath)).href;
  const resp = await page.goto(url, { waitUntil: 'load' });
  check('the page loads', resp === null || resp.ok(), resp ? `status ${resp.status()}` : '');

  // Everything below is read from the DOM.
  const dom = await page.evaluate(() => {
    const out = {};
    out.title = document.title;
    out.scripts = document.querySelectorAll('script').length;
    out.external = [...document.querySelectorAll('[src],[href],link')]
      .map((e) => e.getAttribute('src') ?? e.getAttribute('href') ?? '')
      .filter((u) => !u.startsWith('#'));
    out.sections = [...document.querySelectorAll('main > section')].map((s) => ({
      id: s.id,
      h2: s.querySelector('h2')?.textContent ?? '',
      text: s.textContent.length,
    }));
    const size = (e) => {
      const b = e.getBBox();
      return { w: b.width, h: b.height };
    };
    out.charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
      const marks = [...svg.querySelectorAll('.mark')].map(size);
      const texts = [...svg.querySelectorAll('text')]
        .filter((t) => t.textContent.trim() !== '')
        .map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
        });
      // Pairs of chart texts whose boxes overlap by more than a pixel each way.
      const overlaps = [];
      for (let i = 0; i < texts.length; i++)
        for (let k = i + 1; k < texts.length; k++) {
          const a = texts[i];
          const b = texts[k];
          const ox = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
          const oy = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
          if (ox > 1 && oy > 1) overlaps.push(`"${a.text}" / "${b.text}"`);
        }
      const r = svg.getBoundingClientRect();
      return {
        id: svg.dataset.chart,
        width: r.width,
        height: r.height,
        marks: marks.length,
        drawn: marks.filter((m) => m.w > 0 && m.h > 0).length,
        titled: svg.querySelectorAll('.mark title').length,
        title: svg.querySelector('.ctitle')?.textContent ?? '',
        ticks: svg.querySelectorAll('.tick').length,
        axis: svg.querySelectorAll('.axis').length,
        legend: svg.querySelectorAll('.legend').length,
        overlaps,
      };
    });
    const traffic = document.querySelector('svg.chart[data-chart="traffic"]');
    out.bands = traffic
      ? [...traffic.querySelectorAll('rect.band')].map((b) => ({
          type: b.dataset.type,
          episodes: Number(b.dataset.episodes),
          w: b.getBBox().width,
          h: b.getBBox().height,
          tip: b.querySelector('title')?.textContent ?? '',
        }))
      : [];
    out.bandLabels = traffic
      ? [...traffic.querySelectorAll('.band-label')].map((t) => t.textContent)
      : [];
    out.legend = traffic
      ? [...traffic.querySelectorAll('.legend')].map((t) => t.textContent)
      : [];
    out.episodeRows = document.querySelectorAll('table.episodes tbody tr').length;
    const ev = document.querySelector('#eval');
    out.evalText = ev ? ev.textContent : '';
    out.evalRows = ev ? ev.querySelectorAll('table tbody tr').length : 0;
    out.cards = [...document.querySelectorAll('#kpi .card .k')].map((e) => e.textContent);
    return out;
  });

  check('no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));
  check('no page errors', pageErrors.length === 0, pageErrors.join(' | '));
  check('no network requests', requests.length === 0, requests.join(' '));
  check('no script, no external file', dom.scripts === 0 && dom.external.length === 0,
    `${dom.scripts} scripts, external: ${dom.external.join(' ')}`);
  check('the page has a title', /DDoS report/.test(dom.title), dom.title);

  const want = ['run', 'traffic', 'episodes', 'top', 'geo', 'quality', 'kpi', 'eval'];
  const have = dom.sections.map((s) => s.id);
  check('all eight sections, in order', JSON.stringify(have) === JSON.stringify(want),
    have.join(','));
  for (const s of dom.sections)
    check(`section ${s.id} has a heading and content`, s.h2.length > 0 && s.text > 200,
      `${s.h2} (${s.text} chars)`);

  const wantCharts = ['traffic', 'types-count', 'types-duration', 'types-volume', 'top-sources',
    'top-destinations', 'countries', 'quarantine-reasons', 'quality-hourly', 'attacks-per-hour'];
  const chartIds = dom.charts.map((c) => c.id);
  check('every chart is there', wantCharts.every((id) => chartIds.includes(id)),
    `have ${chartIds.join(',')}`);
  for (const c of dom.charts) {
    check(`chart ${c.id}: drawn marks of non-zero size`, c.drawn > 0,
      `${c.drawn} of ${c.marks} marks drawn`);
    check(`chart ${c.id}: visible on the page`, c.width > 200 && c.height > 100,
      `${c.width}x${c.height}`);
    check(`chart ${c.id}: a title, ticks, an axis title`, c.title.length > 0 && c.ticks >= 2 && c.axis >= 1,
      `title "${c.title}", ${c.ticks} ticks, ${c.axis} axis titles`);
    check(`chart ${c.id}: every mark has a tooltip`, c.titled === c.marks,
      `${c.titled} of ${c.marks}`);
    check(`chart ${c.id}: no overlapping labels`, c.overlaps.length === 0,
      c.overlaps.slice(0, 5).join(', '));
  }
  const traffic = dom.charts.find((c) => c.id === 'traffic');
  check('traffic chart has a legend', traffic && traffic.legend >= 2);

  const bands = dom.bands.filter((b) => b.w > 0 && b.h > 0);
  check('incident shading is drawn', bands.length > 0, `${dom.bands.length} bands`);
  // A band is one episode, or a run of touching episodes of one type.
  const shaded = dom.bands.reduce((n, b) => n + b.episodes, 0);
  if (episodes !== null) {
    check(`the bands shade every episode (${episodes})`, shaded === episodes, `${shaded}`);
    check(`one table row per episode (${episodes})`, dom.episodeRows === episodes,
      `${dom.episodeRows}`);
  }
  check('bands are labelled with their type',
    dom.bandLabels.length > 0 &&
      dom.bandLabels.every((l) => /^#\d+/.test(l)) &&
      dom.bands.some((b) => dom.bandLabels.some((l) => l.endsWith(` ${b.type}`))),
    `labels: ${dom.bandLabels.join(', ')}`);
  if (dom.bands.length <= 10)
    check('every band has a label naming its type (few bands)',
      dom.bands.every((b) => dom.bandLabels.some((l) => l.endsWith(` ${b.type}`))),
      `labels: ${dom.bandLabels.join(', ')}`);
  check('the legend names every episode type',
    dom.bands.every((b) => dom.legend.includes(`${b.type} episode`)), dom.legend.join(', '));
  check('band tooltips name type and entity', dom.bands.every((b) => b.tip.includes(b.type) && / on /.test(b.tip)));

  for (const k of ['attacks per hour', 'average attack length', 'average events per attack'])
    check(`KPI "${k}"`, dom.cards.some((c) => c.startsWith(k)), dom.cards.join(', '));
  check('evaluation shows precision, recall and F1',
    /precision/.test(dom.evalText) && /recall/.test(dom.evalText) && /F1/.test(dom.evalText));
  check('evaluation has the per-attack table', dom.evalRows > 0, `${dom.evalRows} rows`);

  fs.mkdirSync(path.dirname(path.resolve(shotPath)), { recursive: true });
  await page.screenshot({ path: shotPath, fullPage: true });
  check('screenshot saved', fs.statSync(shotPath).size > 10000, shotPath);
} catch (err) {
  check('browser run', false, String(err && err.stack ? err.stack : err));
} finally {
  if (context) await context.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`RESULT passed=${passed} failed=${failed}`);
process.exit(failed ? 1 : 0);
