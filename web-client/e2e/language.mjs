// Language scans for the every-route sweep: a zh-CN page must show no English UI word and no
// raw enum code; an en page must show no Chinese in its labels. Offenders come back as
// "route: text" lines for the sweep to fail on.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const openapi = JSON.parse(readFileSync(join(here, '..', '..', 'openapi', 'openapi.json'), 'utf8'));

/** Every enum value of the API that can only be a code when it shows: with an underscore or a
 * colon (`trade_show`, `customers:read`), or a lowercase English word of four letters or more
 * (`manufacturing`, `pending`). Short ones (`low`, `won`) are in ENGLISH_WORDS if they matter. */
function enumCodes() {
  const codes = new Set();
  JSON.stringify(openapi, (key, value) => {
    if (key === 'enum' && Array.isArray(value)) {
      for (const v of value) {
        if (typeof v === 'string' && (/[_:]/.test(v) || /^[a-z]{4,}$/.test(v))) codes.add(v);
      }
    }
    return value;
  });
  return codes;
}
const CODES = enumCodes();

/** English words the UI has used (buttons, column heads, statuses, stage names): seen on a
 * zh-CN page, each means a string that skipped the dictionary. Matched as whole words,
 * ignoring case. */
const ENGLISH_WORDS = [
  'Save', 'Cancel', 'Submit', 'Delete', 'Edit', 'Create', 'Search', 'Owner', 'Status', 'Amount',
  'Customer', 'Customers', 'Lead', 'Leads', 'Contract', 'Contracts', 'Pipeline', 'Approve',
  'Reject', 'Loading', 'pending', 'waiting', 'open', 'won', 'lost', 'draft', 'Name', 'Stage',
  'Actions', 'Close', 'Confirm', 'Back', 'Next', 'Previous', 'Export', 'Import', 'Finance',
  'Executive', 'Manager', 'Notifications', 'Approvals', 'Settings', 'Sign', 'Yes', 'No',
].map((w) => w.toLowerCase());
/** Phrases the same way, matched as substrings ignoring case. */
const ENGLISH_PHRASES = [
  'Initial contact', 'Needs analysis', 'Sales manager', 'Sales rep', 'Captured from',
  'submitted for approval', 'opened in', 'No data', 'Follow-up', 'Log out',
].map((p) => p.toLowerCase());

// Text a scan must not read as UI words: e-mail addresses and URLs are data, whatever the
// language (the admin's own address sits in the header).
const DATA_PATTERNS = [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, /https?:\/\/\S+/g];

/**
 * Offenders on a zh-CN page, from the whole visible text. `allowed` are [route, text] pairs
 * the sweep knows and tolerates (see its ALLOWED_ENGLISH).
 */
export async function scanChinesePage(page, route) {
  // Elements marked as data are hidden for the read (innerText skips what is not rendered).
  let text = await page.evaluate(() => {
    const marked = [...document.querySelectorAll('[data-user-data]')];
    for (const el of marked) el.style.setProperty('display', 'none');
    const visible = document.body.innerText;
    for (const el of marked) el.style.removeProperty('display');
    return visible;
  });
  for (const pattern of DATA_PATTERNS) text = text.replace(pattern, ' ');
  const found = new Set();
  for (const raw of text.split(/[^A-Za-z0-9_:.-]+/)) {
    const token = raw.replace(/^[.:-]+|[.:-]+$/g, '');
    if (!token) continue;
    if (CODES.has(token)) found.add(`code "${token}"`);
    else if (ENGLISH_WORDS.includes(token.toLowerCase()) && /^[A-Za-z]+$/.test(token)) found.add(`word "${token}"`);
  }
  const lower = text.toLowerCase();
  for (const phrase of ENGLISH_PHRASES) {
    if (lower.includes(phrase)) found.add(`phrase "${phrase}"`);
  }
  return [...found].map((what) => ({ route, what, line: lineAround(text, what) }));
}

function lineAround(text, what) {
  const needle = what.replace(/^\w+ "|"$/g, '');
  const line = text.split('\n').find((l) => l.toLowerCase().includes(needle.toLowerCase())) ?? '';
  return line.trim().slice(0, 120);
}

/** Chinese characters (Han script) in the labels of an en page. Names, titles and notes in
 * the demo data are Chinese, so only what the UI itself names is read: headings, column
 * heads, form labels, buttons, tabs, menu items, description labels, placeholders, and the
 * aria-label and title attributes. */
export async function scanEnglishPage(page, route, dataSelectors = []) {
  const found = await page.evaluate(([extraData]) => {
    const han = /\p{Script=Han}/u;
    // Elements whose words are data by construction: the signed-in user's name, stage and
    // opportunity names on the board (stages are the organisation's own), a select's chosen
    // value (a department, an owner), and the notifications the server wrote.
    const data = ['[data-user-data]', '[data-testid="user-menu"]', '[data-testid^="jump-"]',
      '[data-testid^="column-"] > div:first-child', '[data-testid^="card-"]', '.ant-select-selector',
      '[data-testid="my-notifications"]', ...extraData].join(',');
    const out = new Set();
    const selectors = ['h1', 'h2', 'h3', 'h4', 'h5', 'th', 'label', 'button',
      '.ant-tabs-tab', '.ant-descriptions-item-label', '.ant-menu-item', '.ant-card-head-title',
      '.ant-statistic-title', '.ant-empty-description', '.ant-select-placeholder'];
    for (const el of document.querySelectorAll(selectors.join(','))) {
      if (el.closest(data)) continue;
      if (!el.checkVisibility?.()) continue;
      const text = el.innerText?.trim() ?? '';
      if (han.test(text)) out.add(`${el.tagName.toLowerCase()}: ${text.slice(0, 80)}`);
    }
    // An attribute may wrap a name in translated words ("Edit contact 孙强"): only one with
    // Chinese and no Latin letter at all is an untranslated label.
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
      if (el.closest(data)) continue;
      // A stage column is labelled by its stage's name (data, as its header is).
      if (el.matches('[data-testid^="column-"]')) continue;
      for (const attr of ['placeholder', 'aria-label', 'title']) {
        const value = el.getAttribute(attr);
        // A title repeating the element's own text is the full value behind an ellipsis or a
        // chosen option: the text scan above already judged it.
        if (attr === 'title' && (el.innerText?.trim() === value || el.closest('.ant-select'))) continue;
        if (value && han.test(value) && !/[A-Za-z]/.test(value)) out.add(`${attr}="${value.slice(0, 80)}"`);
      }
    }
    return [...out];
  }, [dataSelectors]);
  return found.map((what) => ({ route, what, line: '' }));
}
