// wismo's pages in a real browser: Debian's chromium driven by playwright-core, against a `wismo serve`
// started here with a temporary database.  See docs/testing.md.
//
//   WISMO_BIN=build/wismo node tests/browser/run.mjs
//
// Environment: WISMO_BIN (required), WISMO_ARTIFACTS (screenshots go to $WISMO_ARTIFACTS/screenshots,
// default ./test-artifacts), WISMO_CHROMIUM (default /usr/bin/chromium), WISMO_LIVE_MS (the live-update
// budget, default 1000).  Exits 77 (skipped) when chromium or playwright-core is missing, 1 on any failure.
// Closing line: "N passed, N failed".
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Server } from './lib/server.mjs';
import { test, runAll, assert, assertEqual, skip } from './lib/runner.mjs';
import { pageContract, unlabelledInputs, contrastFailures, focusStyle } from './lib/checks.mjs';
import { ORDERS, scenarioEvents, liveEvent } from './lib/scenario.mjs';

const SKIP = 77;
const bin = process.env.WISMO_BIN;
if (!bin || !existsSync(bin)) {
  console.error(`WISMO_BIN must name the wismo binary (got ${JSON.stringify(bin)})`);
  process.exit(2);
}
const chromiumPath = process.env.WISMO_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.log(`skipped: no chromium at ${chromiumPath} (scripts/deps.sh test installs it)`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.log(`skipped: playwright-core is not installed in tests/browser/node_modules (scripts/deps.sh test): ${e.message}`);
  process.exit(SKIP);
}
const artifacts = resolve(process.env.WISMO_ARTIFACTS || 'test-artifacts', 'screenshots');
const LIVE_MS = Number(process.env.WISMO_LIVE_MS || 1000);

// Launch flags: headless without a GPU, and nothing that reaches out to the network on its own
// (background networking, component updates, sync, QUIC), so the only traffic is to our server.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const CONFIG = (base) => `[web]
public_url = ${base}
name = Harbor & Pine
support_email = help@harbor-pine.example
lookups_per_minute = 30
reschedule_url = https://harbor-pine.example/delivery?order={order}&parcel={tracking}
[milestones]
preset = b2b
[source erp]
kind = warehouse
[source fleet]
kind = carrier
[streams]
; every page of the suite comes from 127.0.0.1: the per-address cap is not what these tests look at
public_per_client = 1000
`;

// ---------------------------------------------------------------- process-wide state and cleanup
let server = null;
let browser = null;
const contexts = {};
const consoleErrors = []; // {test, url, text}
let currentTest = '(setup)';
let pagesWatched = 0;
const refusalsExpected = new Set(); // URLs a test expects to be answered with 4xx

function killAll() {
  if (server) {
    server.killNow();
    server.cleanup(); // its temporary directory (database, config, log)
  }
  // playwright's own 'exit' hook kills the chromium it launched and removes its profile directory
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`caught ${sig}: stopping the server and the browser`);
    killAll();
    process.exit(1);
  });
}
process.on('unhandledRejection', (e) => {
  console.log(`unhandled rejection: ${e && e.stack ? e.stack : e}`);
});

function watch(page) {
  pagesWatched++;
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs a document answered with 4xx as "Failed to load resource"; that is no error
    // where the test asked for a refusal on purpose
    const at = msg.location().url;
    if (/^Failed to load resource/.test(msg.text()) && refusalsExpected.has(at)) return;
    consoleErrors.push({ test: currentTest, url: page.url(), text: msg.text() + (at ? ` (${at})` : '') });
  });
  page.on('pageerror', (err) => {
    consoleErrors.push({ test: currentTest, url: page.url(), text: `pageerror: ${err.message}` });
  });
  return page;
}

async function newPage(ctx) {
  return watch(await contexts[ctx].newPage());
}

// Opens url in a new page of context ctx, runs fn(page), closes the page whatever happens.
async function withPage(ctx, url, fn) {
  const page = await newPage(ctx);
  try {
    if (url) {
      const resp = await page.goto(server.base + url);
      page.firstResponse = resp;
    }
    return await fn(page);
  } finally {
    await page.close().catch(() => {});
  }
}

// Presses Enter in the field and waits for the document that the form's submission loads.
async function submitWithEnter(page, selector) {
  await Promise.all([page.waitForEvent('load'), page.locator(selector).press('Enter')]);
}

const text = (page, sel) => page.locator(sel).first().textContent().then((t) => (t || '').trim().replace(/\s+/g, ' '));
const count = (page, sel) => page.locator(sel).count();

async function expectContract(page) {
  const problems = await pageContract(page);
  assert(problems.length === 0, `page contract on ${page.url()}: ${problems.join('; ')}`);
}

// Presses Tab until selector has the focus; answers how many presses it took.
async function tabTo(page, selector, max = 40) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return i;
  }
  throw new Error(`${selector} never took the focus after ${max} Tab presses`);
}

// A signed link from `wismo track-link ORDER`: the path /track/<token> of the URL it prints, which
// must be a link to this server ([web] public_url).
const tokens = {};
async function trackPath(order) {
  if (!tokens[order]) {
    const out = (await server.cli('track-link', order)).trim();
    const m = out.match(/^(https?:\/\/[^/\s]+)(\/track\/[A-Za-z0-9._~-]+)$/);
    assert(m, `wismo track-link ${order} printed no http(s)://HOST/track/<token> link: ${JSON.stringify(out)}`);
    assertEqual(m[1], server.base, 'the base of the printed link ([web] public_url)');
    tokens[order] = m[2];
  }
  return tokens[order];
}

async function dashboardLogin(ctx) {
  await withPage(ctx, '/dashboard', async (page) => {
    if (await count(page, '#search')) return; // this context already has a session
    await page.locator('#key').fill(server.keys.agent);
    await submitWithEnter(page, '#key');
    await page.locator('#search').waitFor();
  });
}

// ---------------------------------------------------------------- the tests
test('the server starts and the scenario loads through POST /v1/events', async () => {
  server = new Server(bin, { config: CONFIG });
  await server.start();
  await server.postEvents(scenarioEvents());
  const split = await server.request('GET', `/v1/orders/${ORDERS.split.order}`, { key: 'agent' });
  assertEqual(split.status, 200, 'GET the split order');
  assertEqual(split.body.packages.length, 2, 'packages of the split order');
  const conflict = await server.request('GET', `/v1/orders/${ORDERS.conflict.order}`, { key: 'agent' });
  assert(conflict.body.flags.includes('conflict'), `conflict order flags: ${JSON.stringify(conflict.body.flags)}`);
  const delayed = await server.request('GET', `/v1/orders/${ORDERS.delayed.order}`, { key: 'agent' });
  assert(delayed.body.flags.includes('delayed'), `delayed order flags: ${JSON.stringify(delayed.body.flags)}`);

  browser = await chromium.launch({
    executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, timeout: 120000,
  });
  contexts.desktop = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  contexts.phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  contexts.nojs = await browser.newContext({ viewport: { width: 1366, height: 900 }, javaScriptEnabled: false });
  for (const c of Object.values(contexts)) {
    c.setDefaultTimeout(20000);
    c.setDefaultNavigationTimeout(30000);
  }
}, { timeoutMs: 180000 });

const ready = () => {
  if (!browser) skip('the server or the browser did not start');
};

test('lookup form: keyboard only from /track to the tracking page', async () => {
  ready();
  const o = ORDERS.transit;
  await withPage('desktop', '/track', async (page) => {
    await expectContract(page);
    const form = page.locator('form#lookup-form');
    assertEqual(await form.count(), 1, 'form#lookup-form');
    assertEqual((await form.getAttribute('method') || '').toLowerCase(), 'post', 'lookup form method');
    assertEqual(await form.getAttribute('action'), '/track', 'lookup form action');
    assertEqual(await count(page, 'input#order[name="order"]'), 1, 'input#order[name=order]');
    assertEqual(await count(page, 'input#contact[name="contact"]'), 1, 'input#contact[name=contact]');
    assertEqual(await count(page, 'label[for="order"]'), 1, 'label for #order');
    assertEqual(await count(page, 'label[for="contact"]'), 1, 'label for #contact');
    assert(await count(page, '#lookup-form button[type="submit"], #lookup-form button:not([type]), #lookup-form input[type="submit"]') >= 1,
      'a submit button in the lookup form');

    const statuses = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/track') statuses.push(r.status());
    });
    await tabTo(page, '#order');
    await page.keyboard.type(o.order);
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.id === 'contact'), 'Tab from #order goes to #contact');
    await page.keyboard.type(o.email);
    await Promise.all([page.waitForURL(/\/track\/[^/]+$/), page.keyboard.press('Enter')]);
    assertEqual(statuses[0], 303, 'status of POST /track');
    await expectTrackingPage(page, o);
  });
});

// The tracking page of order o: status, five steps in order, greeting, package, events; first name only.
async function expectTrackingPage(page, o) {
  await expectContract(page);
  const tr = page.locator('#tracking');
  assertEqual(await tr.count(), 1, `#tracking on ${page.url()}`);
  assert(await tr.getAttribute('data-order-status'), '#tracking[data-order-status]');
  assert(await tr.getAttribute('data-updated-at'), '#tracking[data-updated-at]');
  const stream = await tr.getAttribute('data-stream');
  assertEqual(stream, new URL(page.url()).pathname + '/stream', '#tracking[data-stream]');
  const steps = await page.locator('#tracking ol.steps > li.step').evaluateAll((els) => els.map((e) => e.dataset.step));
  assertEqual(steps.join(' '), 'ordered preparing shipped out_for_delivery delivered', 'the five steps');
  assertEqual(await count(page, 'ol.steps li.step[aria-current="step"]'), 1, 'one current step');
  assert((await text(page, 'p.status-label')).length > 0, 'p.status-label has text');
  const greeting = await text(page, 'p.greeting');
  assert(greeting.includes(o.first), `greeting ${JSON.stringify(greeting)} names ${o.first}`);
  const body = await page.locator('body').textContent();
  const last = { 'Ada': 'Lovelace', 'Grace': 'Hopper', 'Alan': 'Turing', 'Edsger': 'Dijkstra', 'Donald': 'Knuth', 'Barbara': 'Liskov' }[o.first];
  assert(!body.includes(last), `the page shows the last name ${last}`);
  assert(!body.includes(o.email), 'the page shows the email address');
  assert(await count(page, 'section.package') >= 1, 'at least one section.package');
  assert(await count(page, 'ol.events > li.event') >= 1, 'at least one li.event');
}

test('lookup form: order number and postal code', async () => {
  ready();
  const o = ORDERS.action;
  await withPage('desktop', '/track', async (page) => {
    await page.locator('#order').fill(o.order);
    await page.locator('#contact').fill(o.postal);
    await Promise.all([page.waitForURL(/\/track\/[^/]+$/), page.locator('#contact').press('Enter')]);
    await expectTrackingPage(page, o);
  });
});

test('lookup form: unknown order and wrong contact get the same answer', async () => {
  ready();
  const tries = [
    { order: 'BR-9999', contact: 'nobody@example.com' }, // no such order
    { order: ORDERS.transit.order, contact: 'someone-else@example.com' }, // wrong email
    { order: ORDERS.transit.order, contact: '00000' }, // wrong postal code
  ];
  const answers = [];
  refusalsExpected.add(server.base + '/track');
  for (const t of tries) {
    await withPage('desktop', '/track', async (page) => {
      let status = 0;
      page.on('response', (r) => {
        if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/track') status = r.status();
      });
      await page.locator('#order').fill(t.order);
      await page.locator('#contact').fill(t.contact);
      await submitWithEnter(page, '#contact');
      await page.locator('p.notice[role="alert"]').waitFor();
      assertEqual(new URL(page.url()).pathname, '/track', `after a failed lookup the page stays at /track (${t.order})`);
      assertEqual(await count(page, '#tracking'), 0, 'no #tracking after a failed lookup');
      await expectContract(page);
      answers.push({ status, notice: await text(page, 'p.notice[role="alert"]') });
    });
  }
  refusalsExpected.delete(server.base + '/track');
  assert(answers[0].notice.length > 0, 'the notice has text');
  assert(!answers[1].notice.includes(ORDERS.transit.order), 'the notice does not repeat the order number');
  for (let i = 1; i < answers.length; i++) {
    assertEqual(JSON.stringify(answers[i]), JSON.stringify(answers[0]), `answer to try ${i} equals the answer for an unknown order`);
  }
});

test('signed links from `wismo track-link` and POST /v1/track-links open the tracking page; a tampered one does not', async () => {
  ready();
  const o = ORDERS.transit;
  const path = await trackPath(o.order);
  await withPage('desktop', path, async (page) => {
    assertEqual(page.firstResponse.status(), 200, `GET ${path}`);
    await expectTrackingPage(page, o);
    const pkg = page.locator(`section.package[data-tracking="${o.tracking}"]`);
    assertEqual(await pkg.count(), 1, `section.package for ${o.tracking}`);
    assert(/ups/i.test(await text(page, `section.package[data-tracking="${o.tracking}"] span.carrier`)), 'carrier UPS');
    assert(await pkg.locator('a.track-link').getAttribute('href'), 'a.track-link has an href');
    assert((await pkg.locator('span.package-status').textContent()).trim(), 'span.package-status has text');
    assert((await text(page, 'ol.events')).includes('Louisville'), 'events show the city');
    assertEqual(await page.locator('#tracking').getAttribute('data-order-status'), 'shipped', 'order status');
    assertEqual(await page.locator('li.step[aria-current="step"]').getAttribute('data-step'), 'shipped', 'current step');
    const done = await page.locator('li.step.done').evaluateAll((els) => els.map((e) => e.dataset.step));
    assertEqual(done.join(' '), 'ordered preparing', 'steps marked done');
    assertEqual(await count(page, 'p.delay'), 0, 'no delay message on an order on time');
    assertEqual(await count(page, 'p.action'), 0, 'no action message when nothing is needed');
    assert((await page.title()).includes('Harbor & Pine') || (await page.locator('body').textContent()).includes('Harbor & Pine'),
      'the configured shop name is shown');
  });
  // the same kind of link from the API
  const made = await server.request('POST', '/v1/track-links', { body: { order: ORDERS.split.order }, key: 'agent' });
  assertEqual(made.status, 201, `POST /v1/track-links: ${JSON.stringify(made.body)}`);
  assert(made.body.url.startsWith(server.base + '/track/'), `url from POST /v1/track-links: ${made.body.url}`);
  assert(Date.parse(made.body.expires_at) > Date.now() + 86400000, `expires_at ${made.body.expires_at}`);
  await withPage('desktop', made.body.url.slice(server.base.length), async (page) => {
    await expectTrackingPage(page, ORDERS.split);
  });
  // change one character of the MAC
  const last = path.slice(-1);
  const tampered = path.slice(0, -1) + (last === 'A' ? 'B' : 'A');
  refusalsExpected.add(server.base + tampered);
  await withPage('desktop', tampered, async (page) => {
    assert(page.firstResponse.status() >= 400, `GET of a tampered link answers ${page.firstResponse.status()}`);
    assertEqual(await count(page, '#tracking'), 0, 'no #tracking for a tampered link');
  });
});

test('an order in one parcel shows what was ordered', async () => {
  ready();
  await withPage('desktop', await trackPath(ORDERS.transit.order), async (page) => {
    // the carrier's events do not list items: the parcel holds the whole order
    const items = await text(page, `section.package[data-tracking="${ORDERS.transit.tracking}"] ul.items`);
    assert(items.includes('Stoneware mug'),
      `the order's only parcel lists ${JSON.stringify(items)}, not the ordered item (2 × Stoneware mug)`);
  });
});

test('split shipment shows two packages with their items', async () => {
  ready();
  const o = ORDERS.split;
  await withPage('desktop', await trackPath(o.order), async (page) => {
    await expectTrackingPage(page, o);
    assertEqual(await count(page, 'section.package'), 2, 'section.package count');
    const ups = `section.package[data-tracking="${o.tracking[0]}"]`;
    const fedex = `section.package[data-tracking="${o.tracking[1]}"]`;
    assertEqual(await count(page, ups), 1, 'the UPS parcel');
    assertEqual(await count(page, fedex), 1, 'the FedEx parcel');
    assert(/ups/i.test(await text(page, `${ups} span.carrier`)), 'UPS parcel carrier');
    assert(/fedex/i.test(await text(page, `${fedex} span.carrier`)), 'FedEx parcel carrier');
    const upsItems = await text(page, `${ups} ul.items`);
    const fedexItems = await text(page, `${fedex} ul.items`);
    assert(upsItems.includes('Cast iron teapot') && !upsItems.includes('Porcelain cups'), `UPS parcel items: ${upsItems}`);
    assert(fedexItems.includes('Porcelain cups') && !fedexItems.includes('Cast iron teapot'), `FedEx parcel items: ${fedexItems}`);
    for (const sel of [ups, fedex]) {
      assert(await page.locator(`${sel} a.track-link`).getAttribute('href'), `${sel} a.track-link href`);
      assert((await text(page, `${sel} span.package-status`)).length > 0, `${sel} span.package-status`);
    }
  });
});

test('delayed order shows "Delayed — new date"', async () => {
  ready();
  const o = ORDERS.delayed;
  await withPage('desktop', await trackPath(o.order), async (page) => {
    await expectTrackingPage(page, o);
    assertEqual(await count(page, 'p.delay'), 1, 'p.delay');
    const delay = await text(page, 'p.delay');
    assert(delay.startsWith('Delayed — new date'), `p.delay reads ${JSON.stringify(delay)}`);
  });
});

test('action needed order shows "Action needed"', async () => {
  ready();
  const o = ORDERS.action;
  await withPage('desktop', await trackPath(o.order), async (page) => {
    await expectTrackingPage(page, o);
    assertEqual(await count(page, 'p.action'), 1, 'p.action');
    const action = await text(page, 'p.action');
    assert(action.startsWith('Action needed'), `p.action reads ${JSON.stringify(action)}`);
    assert(!/address_issue/.test(await page.locator('main').textContent()), 'no internal codes on the page');
  });
});

test('start a return: pick items and a reason, see the return and what to do next', async () => {
  ready();
  const o = ORDERS.returnable;
  await withPage('desktop', await trackPath(o.order), async (page) => {
    await expectTrackingPage(page, o);
    assertEqual(await count(page, 'section.return'), 0, 'no return yet');
    await page.locator('details.start-return summary').click();
    const lines = await page.locator('#return-form .return-line').count();
    assertEqual(lines, 2, 'returnable lines');
    await page.getByLabel('Silk scarf').fill('1');
    await page.locator('#return-reason').selectOption('too_small');
    await Promise.all([page.waitForURL(/\/track\/[^/]+$/), page.locator('#return-form button[type=submit]').click()]);
    assertEqual(await count(page, 'section.return'), 1, 'the return is on the page');
    const label = await text(page, 'section.return .return-label');
    assertEqual(label, 'Return approved', 'the return\'s words');
    assertEqual(await text(page, 'p.status-label'), 'Return approved', 'the headline follows the return');
    assert((await text(page, 'section.return .items')).includes('1 × Silk scarf'), 'the returned line');
    assertEqual(await count(page, 'section.return .return-steps li'), 4, 'four return steps');
    // one scarf and the sweater are still returnable
    await page.locator('details.start-return summary').click();
    assertEqual(await page.getByLabel('Silk scarf').getAttribute('max'), '1', 'what is left to return');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'track-return-desktop.png'), fullPage: true });
  });
  const got = await server.request('GET', `/v1/orders/${o.order}`, { key: 'agent' });
  assertEqual(got.body.returns.length, 1, 'one return in the order');
  assertEqual(got.body.returns[0].reason, 'too_small', 'its reason');
});

test('"I haven\'t received it": the customer-safe proof, the report, what happens next, and the support task', async () => {
  ready();
  const o = ORDERS.missing;
  await withPage('desktop', await trackPath(o.order), async (page) => {
    await expectTrackingPage(page, o);
    assertEqual(await text(page, `section.package[data-tracking="${o.tracking}"] p.left-at`), 'Left at: Front porch',
      'where the parcel was left');
    const main = await page.locator('main').textContent();
    assert(!/NEIGHBOUR|pod\.example|42\.37/.test(main), 'who signed, the photo and the place are for staff only');
    await page.locator('details.not-received-report summary').click();
    await page.getByLabel('Anything we should know? (optional)').fill('Nothing on the porch, neighbours have nothing');
    await Promise.all([page.waitForURL(/\/track\/[^/]+$/),
      page.locator('#not-received-form button[type=submit]').click()]);
    const said = await text(page, 'p.not-received');
    assert(/has not arrived/.test(said) && /one working day/.test(said), `what happens next: ${said}`);
    assertEqual(await count(page, '#not-received-form'), 0, 'reported once: no second form');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'track-not-received-desktop.png'), fullPage: true });
  });
  const tasks = await server.request('GET', `/v1/tasks?order=${o.order}`, { key: 'agent' });
  const t = tasks.body.tasks.filter((x) => x.kind === 'not_received');
  assertEqual(t.length, 1, 'one support task');
  assertEqual(t[0].team, 'support', 'owned by support');
  assert(/Front porch/.test(t[0].reason) && /claim with the carrier by/.test(t[0].reason), `task reason: ${t[0].reason}`);
  const got = await server.request('GET', `/v1/orders/${o.order}`, { key: 'agent' });
  assertEqual(got.body.not_received.note, 'Nothing on the porch, neighbours have nothing', 'the customer\'s words');
  assertEqual(got.body.packages[0].proof.signed_by, 'R NEIGHBOUR', 'staff see who signed');
});

test('an appointment delivery shows its window and the way to book another; B2B milestones show as steps', async () => {
  ready();
  await withPage('phone', await trackPath(ORDERS.sofa.order), async (page) => {
    await expectTrackingPage(page, ORDERS.sofa);
    const line = await text(page, 'p.appointment');
    // the end's date is given only when the window ends on another day (UTC) than it starts
    const m = /^Delivery appointment: (\w{3} \d+), (\d\d):(\d\d) UTC - (?:(\w{3} \d+), )?(\d\d):(\d\d) UTC$/.exec(line);
    assert(m, `appointment: ${line}`);
    const start = Number(m[2]) * 60 + Number(m[3]), end = Number(m[5]) * 60 + Number(m[6]);
    assertEqual((end - start + 1440) % 1440, 4 * 60, `a four-hour window: ${line}`);
    assertEqual(m[4] !== undefined, end < start, `the end's date only after midnight: ${line}`);
    const href = await page.locator('a.reschedule').getAttribute('href');
    assertEqual(href, `https://harbor-pine.example/delivery?order=${ORDERS.sofa.order}&parcel=${ORDERS.sofa.tracking}`,
      'the reschedule link');
  });
  await withPage('desktop', await trackPath(ORDERS.b2b.order), async (page) => {
    await expectContract(page); // no parcel yet: in production
    assert((await text(page, 'p.greeting')).includes(ORDERS.b2b.first), 'the greeting');
    const steps = await page.locator('section.milestones li').evaluateAll((els) => els.map((e) => e.dataset.milestone));
    assertEqual(JSON.stringify(steps), JSON.stringify(['po_accepted', 'production_started', 'quality_check_passed',
      'freight_booked', 'customs_cleared']), 'visible milestones, reached and ahead');
    assertEqual(await page.locator('section.milestones li.current').getAttribute('data-milestone'),
      'production_started', 'the current one');
    assertEqual(await count(page, 'section.milestones li.done'), 2, 'two reached');
  });
});

test('tracking page works without JavaScript', async () => {
  ready();
  const o = ORDERS.split;
  await withPage('nojs', await trackPath(o.order), async (page) => {
    assertEqual(page.firstResponse.status(), 200, 'status');
    await expectTrackingPage(page, o);
    assertEqual(await count(page, 'section.package'), 2, 'both parcels without JavaScript');
  });
  await withPage('nojs', '/track', async (page) => {
    await page.locator('#order').fill(ORDERS.delayed.order);
    await page.locator('#contact').fill(ORDERS.delayed.email);
    await Promise.all([page.waitForURL(/\/track\/[^/]+$/), page.locator('#contact').press('Enter')]);
    await expectTrackingPage(page, ORDERS.delayed);
  });
});

test(`live update: a posted event shows within ${LIVE_MS} ms without a reload`, async () => {
  ready();
  const o = ORDERS.live;
  const path = await trackPath(o.order);
  const page = await newPage('desktop');
  try {
    const streamUp = page.waitForResponse((r) => new URL(r.url()).pathname === path + '/stream', { timeout: 20000 });
    await page.goto(server.base + path);
    await expectTrackingPage(page, o);
    const stream = await streamUp;
    assertEqual(stream.status(), 200, 'status of the event stream');
    assert((stream.headers()['content-type'] || '').startsWith('text/event-stream'), 'the stream is text/event-stream');
    assertEqual(await page.locator('#tracking').getAttribute('data-order-status'), 'shipped', 'status before');
    const labelBefore = await text(page, 'p.status-label');
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.evaluate(() => {
      window.__wismoMarker = 'still-here';
    });
    const t0 = Date.now();
    await server.postEvents([liveEvent()]);
    const posted = Date.now() - t0;
    await page.waitForFunction(() => {
      const t = document.getElementById('tracking');
      const cur = document.querySelector('ol.steps li.step[aria-current="step"]');
      return t && t.dataset.orderStatus === 'out_for_delivery' && cur && cur.dataset.step === 'out_for_delivery';
    }, null, { timeout: LIVE_MS + 5000, polling: 'raf' });
    const elapsed = Date.now() - t0;
    console.log(`    live update: POST acknowledged in ${posted} ms, page updated ${elapsed} ms after the POST was sent`);
    assert(elapsed <= LIVE_MS, `the page took ${elapsed} ms to show the new status (budget ${LIVE_MS} ms)`);
    assertEqual(await page.evaluate(() => window.__wismoMarker), 'still-here', 'the marker set before the event (no reload)');
    assertEqual(navigations, 0, 'main-frame navigations while waiting');
    const labelAfter = await text(page, 'p.status-label');
    assert(labelAfter !== labelBefore, `p.status-label changed (still ${JSON.stringify(labelAfter)})`);
    await page.waitForFunction(() => document.querySelector('ol.events').textContent.includes('Palo Alto'), null, { timeout: 5000 })
      .catch(() => {
        throw new Error('ol.events does not show the new event (Palo Alto) after the live update');
      });
    const done = await page.locator('li.step.done').evaluateAll((els) => els.map((e) => e.dataset.step));
    assertEqual(done.join(' '), 'ordered preparing shipped', 'steps done after the update');
  } finally {
    await page.close().catch(() => {});
  }
}, { timeoutMs: 60000 });

test('dashboard: a wrong key is refused, an agent key logs in with a cookie session', async () => {
  ready();
  await withPage('desktop', '/dashboard', async (page) => {
    await expectContract(page);
    assertEqual(await count(page, 'form#login-form'), 1, 'form#login-form');
    assertEqual(await count(page, 'input#key[name="key"][type="password"]'), 1, 'input#key[type=password]');
    assertEqual(await count(page, 'label[for="key"]'), 1, 'label for #key');
    const action = new URL(await page.locator('#login-form').getAttribute('action') || '/dashboard', page.url()).href;
    refusalsExpected.add(action);
    await page.locator('#key').fill('wsm_not_a_key');
    await submitWithEnter(page, '#key');
    await page.locator('form#login-form').waitFor();
    assertEqual(await count(page, '#search'), 0, 'no search form after a wrong key');
    assertEqual((await contexts.desktop.cookies(server.base)).length, 0, 'no cookie after a wrong key');
    refusalsExpected.delete(action);

    await page.locator('#key').fill(server.keys.agent);
    await submitWithEnter(page, '#key');
    await page.locator('form#search input#q[name="q"]').waitFor();
    await expectContract(page);
    const cookies = await contexts.desktop.cookies(server.base);
    assert(cookies.length >= 1, 'a session cookie is set');
    assert(cookies.every((c) => c.httpOnly && c.sameSite === 'Strict'),
      `session cookies are HttpOnly and SameSite=Strict: ${JSON.stringify(cookies.map(({ value, ...c }) => c))}`);
  });
});

test('dashboard: signing out ends the session', async () => {
  ready();
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  try {
    const page = watch(await ctx.newPage());
    await page.goto(server.base + '/dashboard');
    await page.locator('#key').fill(server.keys.agent);
    await submitWithEnter(page, '#key');
    await page.locator('#search').waitFor();
    const out = page.locator('form[action="/dashboard/logout"] button, form[action="/dashboard/logout"] input[type="submit"]');
    assertEqual(await out.count(), 1, 'a sign-out button (a form posting to /dashboard/logout)');
    await Promise.all([page.waitForEvent('load'), out.click()]);
    await page.goto(server.base + '/dashboard');
    assertEqual(await count(page, 'form#login-form'), 1, 'the login form after signing out');
    assertEqual(await count(page, '#search'), 0, 'no search form after signing out');
    assertEqual((await ctx.cookies(server.base)).filter((c) => c.value).length, 0, 'no session cookie after signing out');
  } finally {
    await ctx.close();
  }
});

async function search(page, q) {
  await page.locator('#q').fill(q);
  await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === q), page.locator('#q').press('Enter')]);
  await page.locator('table#results').waitFor({ state: 'attached' });
}

test('dashboard: search by order number, tracking number and email', async () => {
  ready();
  await dashboardLogin('desktop');
  const o = ORDERS.conflict;
  await withPage('desktop', '/dashboard', async (page) => {
    for (const q of [o.order, o.tracking, o.email]) {
      await search(page, q);
      const rows = await page.locator('#results tr[data-order]').evaluateAll((els) => els.map((e) => e.dataset.order));
      assertEqual(rows.join(','), o.order, `rows found for ${q}`);
      const href = await page.locator(`#results tr[data-order="${o.order}"] a`).first().getAttribute('href');
      assertEqual(href, `/dashboard/orders/${o.order}`, 'the row links to the order page');
    }
    await search(page, 'BR-0000');
    assertEqual(await count(page, '#results tr[data-order]'), 0, 'rows for an unknown order');
  });
});

test('dashboard: order timeline shows events from several sources with the conflict marked', async () => {
  ready();
  await dashboardLogin('desktop');
  const o = ORDERS.conflict;
  await withPage('desktop', '/dashboard', async (page) => {
    await search(page, o.order);
    await Promise.all([page.waitForURL(`**/dashboard/orders/${o.order}`),
      page.locator(`#results tr[data-order="${o.order}"] a`).first().click()]);
    await expectContract(page);
    assert((await text(page, '#answer')).length > 10, '#answer holds a sentence');
    const evs = await page.locator('ol#timeline > li.event').evaluateAll((els) => els.map((e) => ({
      source: e.dataset.source, outcome: e.dataset.outcome, conflict: e.classList.contains('conflict'),
    })));
    assert(evs.length >= 5, `${evs.length} timeline events, expected 5`);
    const sources = new Set(evs.map((e) => e.source));
    for (const s of ['shopify', 'scans', 'ups']) assert(sources.has(s), `a timeline event from ${s} (have ${[...sources]})`);
    const conflicts = evs.filter((e) => e.conflict);
    assert(conflicts.length >= 1, 'an event marked class="conflict"');
    assert(conflicts.every((e) => e.source === 'shopify'), `the conflicting claim is shopify's: ${JSON.stringify(conflicts)}`);
    assert(evs.some((e) => e.outcome === 'applied'), 'applied events carry data-outcome="applied"');
  });
});

test('dashboard: an open order page takes a new event live, without a reload', async () => {
  ready();
  await dashboardLogin('desktop');
  const o = ORDERS.conflict;
  await withPage('desktop', null, async (page) => {
    const streamUp = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/v1/stream/'), { timeout: 20000 });
    await page.goto(`${server.base}/dashboard/orders/${o.order}`);
    const before = await count(page, 'ol#timeline > li.event');
    const stream = await streamUp;
    assertEqual(stream.status(), 200, `status of ${stream.url()}`);
    await page.evaluate(() => {
      window.__wismoMarker = 'still-here';
    });
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    const t0 = Date.now();
    await server.postEvents([{ source: 'ups', carrier: 'ups', id: `${o.tracking}-ofd`, order: o.order, package: o.tracking,
      status: 'out_for_delivery', occurred_at: new Date().toISOString() }]);
    await page.waitForFunction((n) => document.querySelectorAll('ol#timeline > li.event').length > n, before, { timeout: 10000 });
    console.log(`    dashboard live update: ${Date.now() - t0} ms`);
    assertEqual(await page.evaluate(() => window.__wismoMarker), 'still-here', 'the marker (no reload)');
    assertEqual(navigations, 0, 'main-frame navigations');
  });
});

test('dashboard: queues and KPI charts', async () => {
  ready();
  await dashboardLogin('desktop');
  await withPage('desktop', '/dashboard', async (page) => {
    await expectContract(page);
    assertEqual(await count(page, 'div#queues'), 1, 'div#queues');
    for (const q of ['conflicts', 'unmapped', 'rejected', 'quiet', 'failures']) {
      assertEqual(await count(page, `#queues #queue-${q}`), 1, `#queue-${q}`);
    }
    const n = Number((await text(page, '#queue-conflicts')).match(/\d+/)?.[0]);
    assert(n >= 1, `#queue-conflicts counts ${n} conflicts, expected at least 1`);
    const href = await page.locator('#queue-conflicts').getAttribute('href') ||
      await page.locator('#queue-conflicts a').first().getAttribute('href');
    assert(href, '#queue-conflicts links to the queue');
    await page.goto(new URL(href, page.url()).href);
    await expectContract(page);
    assertEqual(await count(page, `tr[data-order="${ORDERS.conflict.order}"]`), 1, 'the conflicts queue lists the conflicting order');
    await page.goto(server.base + '/dashboard');
    assertEqual(await count(page, 'section#kpis'), 1, 'section#kpis');
    const charts = await count(page, 'section#kpis svg.chart');
    assert(charts >= 1, 'an svg.chart in #kpis');
    const drawn = await page.locator('section#kpis svg.chart').evaluateAll((els) =>
      els.filter((s) => s.getBoundingClientRect().width > 0 && s.querySelector('rect, path, line, circle, polyline')).length);
    assertEqual(drawn, charts, 'charts that are visible and draw something');
  });
});

test('accessibility: labels, contrast of text and buttons, visible focus', async () => {
  ready();
  await dashboardLogin('desktop');
  const pages = ['/track', await trackPath(ORDERS.transit.order), await trackPath(ORDERS.delayed.order),
    await trackPath(ORDERS.action.order), '/dashboard', `/dashboard/orders/${ORDERS.conflict.order}`];
  const problems = [];
  let checked = 0;
  for (const url of pages) {
    await withPage('desktop', url, async (page) => {
      for (const u of await unlabelledInputs(page)) problems.push(`${url}: input without a label: ${u}`);
      const c = await contrastFailures(page);
      checked += c.checked;
      for (const f of c.failures) problems.push(`${url}: contrast ${f}`);
    });
  }
  // the login page, seen without a session
  const fresh = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  try {
    const page = watch(await fresh.newPage());
    await page.goto(server.base + '/dashboard');
    for (const u of await unlabelledInputs(page)) problems.push(`/dashboard (login): input without a label: ${u}`);
    const c = await contrastFailures(page);
    checked += c.checked;
    for (const f of c.failures) problems.push(`/dashboard (login): contrast ${f}`);
    await focusCheck(page, '#key', problems, '/dashboard (login)');
  } finally {
    await fresh.close();
  }
  // focus is visible on form fields, buttons and links reached with Tab
  await withPage('desktop', '/track', async (page) => {
    await focusCheck(page, '#order', problems, '/track');
    await focusCheck(page, '#lookup-form button, #lookup-form input[type="submit"]', problems, '/track');
  });
  await withPage('desktop', await trackPath(ORDERS.transit.order), async (page) => {
    await focusCheck(page, 'a.track-link', problems, 'tracking page');
  });
  await withPage('desktop', '/dashboard', async (page) => {
    await focusCheck(page, '#q', problems, '/dashboard');
  });
  assert(checked > 20, `only ${checked} text elements were checked for contrast`);
  assert(problems.length === 0, problems.join('\n'));
});

// Tabs to selector and compares its look focused (by keyboard) and unfocused.
async function focusCheck(page, selector, problems, where) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const before = await focusStyle(page, selector);
  if (!before) {
    problems.push(`${where}: no element ${selector} to focus`);
    return;
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('body').focus().catch(() => {});
  await tabTo(page, selector);
  const after = await focusStyle(page, selector);
  const changed = after.outline !== before.outline || after.boxShadow !== before.boxShadow ||
    after.border !== before.border || after.background !== before.background;
  if (!after.focused || !changed || (after.outline === 'none' && after.boxShadow === 'none')) {
    problems.push(`${where}: focus on ${selector} is not visible (unfocused ${JSON.stringify(before)}, focused ${JSON.stringify(after)})`);
  }
}

test('every page keeps the page contract (lang, main, title, no inline script or style)', async () => {
  ready();
  await dashboardLogin('desktop');
  const urls = ['/track', await trackPath(ORDERS.transit.order), await trackPath(ORDERS.split.order),
    '/dashboard', `/dashboard/orders/${ORDERS.conflict.order}`, '/dashboard/returns'];
  const problems = [];
  for (const url of urls) {
    await withPage('desktop', url, async (page) => {
      problems.push(...(await pageContract(page)).map((p) => `${url}: ${p}`));
      const h = page.firstResponse.headers();
      const csp = h['content-security-policy'] || '';
      if (!csp) problems.push(`${url}: no Content-Security-Policy header`);
      else if (/script-src[^;]*'unsafe-inline'/.test(csp) || (!/script-src/.test(csp) && /default-src[^;]*'unsafe-inline'/.test(csp))) {
        problems.push(`${url}: the CSP allows inline script: ${csp}`);
      }
      if (!/frame-ancestors\s+'none'/.test(csp) && !/deny/i.test(h['x-frame-options'] || '')) problems.push(`${url}: framing not forbidden`);
      if (url !== '/track' && !/no-store/.test(h['cache-control'] || '')) problems.push(`${url}: personal page without Cache-Control: no-store`);
    });
  }
  assert(problems.length === 0, problems.join('\n'));
});

test('screenshots of the tracking page and the dashboard at phone and desktop widths', async () => {
  ready();
  mkdirSync(artifacts, { recursive: true });
  await dashboardLogin('desktop');
  await dashboardLogin('phone');
  const shots = [
    ['track-normal', await trackPath(ORDERS.transit.order), '#tracking'],
    ['track-split', await trackPath(ORDERS.split.order), '#tracking'],
    ['track-delayed', await trackPath(ORDERS.delayed.order), '#tracking'],
    ['dashboard-overview', '/dashboard', '#kpis'],
    ['dashboard-order', `/dashboard/orders/${ORDERS.conflict.order}`, '#timeline'],
  ];
  const problems = [];
  for (const [name, url, sel] of shots) {
    for (const ctx of ['phone', 'desktop']) {
      await withPage(ctx, url, async (page) => {
        await page.locator(sel).waitFor();
        await page.evaluate(() => document.fonts.ready);
        const file = join(artifacts, `${name}-${ctx}.png`);
        await page.screenshot({ path: file, fullPage: true });
        const png = readFileSync(file);
        assert(png.length > 1000 && png.subarray(1, 4).toString() === 'PNG', `${file} is not a PNG`);
        console.log(`    screenshot: ${file}`);
        if (ctx === 'phone') {
          const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          if (w[0] > w[1] + 1) problems.push(`${url} scrolls sideways on a phone: ${w[0]} px wide in a ${w[1]} px viewport`);
        }
      });
    }
  }
  assert(problems.length === 0, problems.join('\n'));
}, { timeoutMs: 240000 });

test('no console errors or page errors on any page', async () => {
  ready();
  assert(pagesWatched >= 10, `only ${pagesWatched} pages were watched`);
  assert(consoleErrors.length === 0,
    `${consoleErrors.length} errors:\n` + consoleErrors.map((e) => `[${e.test}] ${e.url}: ${e.text}`).join('\n'));
});

test('the server stops cleanly (exit 0, no sanitizer report)', async () => {
  if (!server || !server.proc) skip('no server was started');
  for (const c of Object.values(contexts)) await c.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  browser = null;
  const r = await server.stop();
  const log = server.logTail(20000);
  assert(!/AddressSanitizer|LeakSanitizer|runtime error:/.test(log), `sanitizer report in the server log:\n${log}`);
  assertEqual(JSON.stringify(r), JSON.stringify({ code: 0, signal: null }), 'server exit');
}, { timeoutMs: 60000 });

// ---------------------------------------------------------------- run
const result = await runAll({
  notes: (name, error) => {
    const mine = consoleErrors.filter((e) => e.test === name);
    for (const e of mine) console.log(`    console error on ${e.url}: ${e.text}`);
    if (error && server && error.constructor.name !== 'Skip') {
      // keep the failure's context: the last lines of the server's log
      console.log(server.logTail(1500).split('\n').map((l) => '    | ' + l).join('\n'));
    }
  },
  before: (name) => {
    currentTest = name;
  },
});
if (browser) await browser.close().catch(() => {});
killAll();
console.log(`${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}`);
process.exit(result.failed ? 1 : 0);
