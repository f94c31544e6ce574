// Browser test of the web chat: log in, ask before linking, link the bank
// through the consent manager's page, ask for the balance and transactions.
//
//   node chat.mjs BASE_URL LOGIN PASSWORD EXPECTED_JSON_FILE
//
// EXPECTED_JSON_FILE holds `{"balances": ["₹1,23,456.78", …]}` (written by
// `anumati bank balances --json`); every amount must appear in the balance reply.
// Uses the system's Chromium (/usr/bin/chromium, or $CHROMIUM); never downloads one.
// Prints `browser: ok` and exits 0, or saves failure.png next to this file and exits 1.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const STEP_TIMEOUT_MS = 15_000;
const RUN_TIMEOUT_MS = 60_000;
const SCREENSHOT = fileURLToPath(new URL('./failure.png', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

const [baseArg, login, password, expectedFile] = process.argv.slice(2);
if (!baseArg || !login || !password || !expectedFile) {
  console.error('usage: node chat.mjs BASE_URL LOGIN PASSWORD EXPECTED_JSON_FILE');
  process.exit(2);
}
const base = baseArg.endsWith('/') ? baseArg : `${baseArg}/`;

let browser;
let page;
let step = 'starting';
const diagnostics = [];

function note(line) {
  diagnostics.push(line);
  if (diagnostics.length > 50) diagnostics.shift();
}

class Mismatch extends Error {}

function check(condition, message) {
  if (!condition) throw new Mismatch(message);
}

async function fail(message) {
  console.error(`browser: FAILED at step "${step}": ${message}`);
  if (page) {
    console.error(`browser: page URL was ${page.url()}`);
    try {
      await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: 5_000 });
      console.error(`browser: screenshot saved to ${SCREENSHOT}`);
    } catch (e) {
      console.error(`browser: no screenshot (${e.message.split('\n')[0]})`);
    }
  }
  if (diagnostics.length) console.error(`browser: page log:\n  ${diagnostics.join('\n  ')}`);
  try {
    await browser?.close();
  } catch {
    // the process exits anyway
  }
  process.exit(1);
}

const watchdog = setTimeout(() => {
  fail(`the whole run took longer than ${RUN_TIMEOUT_MS / 1000} s`);
}, RUN_TIMEOUT_MS);

/** The bot messages currently in the chat, oldest first. */
async function botMessages() {
  return page.$$eval('#messages div.msg.bot', (els) =>
    els.map((el) => ({ intent: el.dataset.intent ?? null, error: el.classList.contains('error'), text: el.textContent })),
  );
}

/**
 * Sends `text` and waits for a new bot message with `data-intent="intent"`
 * (or an error reply); returns that message.
 */
async function ask(text, intent) {
  const before = (await botMessages()).length;
  await page.fill('input#message', text);
  await page.click('button#send');
  await page
    .locator('#messages div.msg.user', { hasText: text })
    .last()
    .waitFor({ state: 'attached' });
  try {
    await page.waitForFunction(
      ({ before, intent }) => {
        const fresh = [...document.querySelectorAll('#messages div.msg.bot')].slice(before);
        return fresh.some((el) => el.dataset.intent === intent || el.classList.contains('error'));
      },
      { before, intent },
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch (e) {
    const fresh = (await botMessages()).slice(before);
    throw new Mismatch(
      `no bot reply with data-intent="${intent}" to ${JSON.stringify(text)} within ${STEP_TIMEOUT_MS / 1000} s; ` +
        `new bot messages: ${JSON.stringify(fresh)}`,
    );
  }
  const fresh = (await botMessages()).slice(before);
  const reply = fresh.find((m) => m.intent === intent);
  check(reply, `the chat answered ${JSON.stringify(text)} with an error: ${JSON.stringify(fresh)}`);
  return reply;
}

async function run() {
  step = 'launch Chromium';
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: STEP_TIMEOUT_MS,
  });
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') note(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => note(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) note(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    const url = r.url();
    // The event stream is cut on every navigation; that is not a failure.
    if (!url.endsWith('/api/events')) note(`request failed: ${r.method()} ${url} (${r.failure()?.errorText})`);
  });

  step = 'open the chat login page';
  const res = await page.goto(base);
  check(res && res.ok(), `GET ${base} answered ${res?.status()}`);
  await page.waitForSelector('input#login');
  await page.waitForSelector('input#password');
  await page.waitForSelector('button#login-submit');

  step = 'log in to the chat';
  await page.fill('input#login', login);
  await page.fill('input#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button#login-submit')]);
  const loginError = await page.$('#error');
  check(!loginError, `the chat refused the login: ${loginError && (await loginError.textContent())}`);
  await page.waitForSelector('div#messages');
  await page.waitForSelector('input#message', { state: 'visible' });
  await page.waitForSelector('button#send');
  await page.waitForSelector('a#link-bank', { state: 'visible' });

  step = 'ask for the balance before linking';
  const early = await ask("what's my balance?", 'balance');
  const last = (await botMessages()).at(-1);
  check(
    last.intent === 'balance',
    `the last bot message should be the balance reply, got ${JSON.stringify(last)}`,
  );
  check(/link/i.test(early.text), `before linking, the balance reply should ask to link the bank, got ${JSON.stringify(early.text)}`);

  step = 'follow the link to the consent manager';
  await page.click('a#link-bank');
  await page.waitForSelector('button#cm-login-submit');
  await page.waitForSelector('input#login');
  await page.waitForSelector('input#password');

  step = 'log in at the consent manager';
  await page.fill('input#login', login);
  await page.fill('input#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button#cm-login-submit')]);
  const cmError = await page.$('#error');
  check(!cmError, `the consent manager refused the login: ${cmError && (await cmError.textContent())}`);

  step = 'read the consent decision page';
  await page.waitForSelector('ul#summary');
  const summary = (await page.textContent('ul#summary')) ?? '';
  for (const word of ['balances', 'transactions']) {
    check(summary.toLowerCase().includes(word), `the consent summary should mention "${word}", got ${JSON.stringify(summary)}`);
  }
  const accounts = await page.$$('input.account');
  check(accounts.length > 0, 'the decision page lists no account checkboxes (input.account)');
  await page.waitForSelector('button#deny');
  await page.waitForSelector('button#approve');

  step = 'approve the consent';
  const chatPath = new URL(base).pathname;
  await Promise.all([page.waitForURL((url) => url.pathname === chatPath), page.click('button#approve')]);
  await page.waitForSelector('input#message', { state: 'visible' });
  await page.waitForSelector('div#messages');
  check((await page.$$('a#link-bank')).length === 0, 'after approving, the chat still offers a#link-bank');

  step = 'read the expected balances';
  let expected;
  try {
    expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
  } catch (e) {
    throw new Mismatch(`cannot read ${expectedFile}: ${e.message}`);
  }
  const amounts = expected?.balances;
  check(
    Array.isArray(amounts) && amounts.length > 0 && amounts.every((a) => typeof a === 'string'),
    `${expectedFile} should hold {"balances": ["…", …]}, got ${JSON.stringify(expected)}`,
  );

  step = 'ask for the balance after linking';
  const balance = await ask("what's my balance?", 'balance');
  const missing = amounts.filter((a) => !balance.text.includes(a));
  check(
    missing.length === 0,
    `the balance reply lacks ${JSON.stringify(missing)} (expected all of ${JSON.stringify(amounts)}); reply: ${JSON.stringify(balance.text)}`,
  );

  step = 'ask for the last transactions';
  await ask('show my last 5 transactions', 'transactions');

  step = 'ask in Hindi';
  const hindi = await ask('मेरा बैलेंस क्या है?', 'balance');
  check(hindi.text.includes('आपका बैलेंस'), `a Hindi question should get a Hindi reply, got ${JSON.stringify(hindi.text)}`);

  step = 'ask for spending: a chart';
  await ask('how much did I spend last month?', 'spend_summary');
  const chart = page.locator('#messages div.msg.bot').last().locator('img.chart');
  await chart.waitFor({ state: 'visible' });
  const drawn = await chart.evaluate((img) => img.complete && img.naturalWidth > 0);
  check(drawn, 'the spending chart did not render (img.chart has no pixels)');

  step = 'quick replies: lock the card, then cancel';
  await ask('lock my card', 'card_lock');
  const buttons = page.locator('#messages div.msg.bot').last().locator('button.quick-reply');
  const labels = await buttons.allTextContents();
  check(
    labels.includes('Yes') && labels.includes('Cancel'),
    `the confirmation should offer Yes and Cancel buttons, got ${JSON.stringify(labels)}`,
  );
  const before = (await botMessages()).length;
  await buttons.filter({ hasText: 'Cancel' }).click();
  await page.waitForFunction((before) => document.querySelectorAll('#messages div.msg.bot').length > before, before);
  const cancelled = (await botMessages()).at(-1);
  check(/^Cancelled/.test(cancelled.text), `tapping Cancel should cancel, got ${JSON.stringify(cancelled)}`);

  await browser.close();
  browser = undefined;
}

try {
  await run();
  clearTimeout(watchdog);
  console.log('browser: ok');
  process.exit(0);
} catch (e) {
  clearTimeout(watchdog);
  await fail(e instanceof Mismatch ? e.message : `${e.name}: ${e.message.split('\n').slice(0, 6).join('\n  ')}`);
}
