import { describe, expect, it } from 'vitest';
import { fmtMoney, rowsToCsv } from './bits';
import { lineTotal, fmtHours } from '../pages/contractBits';
import { moveError } from '../pages/PipelinePage';
import { myPendingStep } from '../pages/ContractPage';
import { filterToQuery, cleanFilter } from '../pages/CustomersPage';
import { linkOf } from '../pages/MyDayPage';
import { ApiError } from '../api/client';

describe('CSV export of a list', () => {
  it('quotes separators, doubles quotes and defuses spreadsheet formulas', () => {
    const csv = rowsToCsv(['name', 'note'], [['上海, 明远', 'say "hi"'], ['=HYPERLINK("x")', null]]);
    expect(csv.startsWith('\ufeff')).toBe(true);
    expect(csv).toContain('"上海, 明远","say ""hi"""');
    expect(csv).toContain(`"'=HYPERLINK(""x"")",`);
  });
});

describe('money and durations', () => {
  it('formats decimal strings without turning them into wrong floats', () => {
    expect(fmtMoney('1250000.00', 'CNY')).toBe('¥1,250,000.00');
    expect(fmtMoney(null)).toBe('—');
    expect(fmtMoney('10', 'USD')).toBe('USD 10.00');
  });
  it('computes a line total with a per-cent discount like the API', () => {
    expect(lineTotal(4, 50000, 10)).toBe(180000);
    expect(lineTotal(3, 33.33, 0)).toBe(99.99);
  });
  it('shows step durations in minutes, hours or days', () => {
    expect(fmtHours(90)).toBe('2 min');
    expect(fmtHours(5400)).toBe('1.5 h');
    expect(fmtHours(3 * 86400)).toBe('3.0 d');
    expect(fmtHours(null)).toBe('—');
  });
});

describe('pipeline move errors', () => {
  it('names each missing requirement once', () => {
    const e = new ApiError(422, { detail: 'x', errors: [{ field: 'quote_reference', code: 'quote_required', message: 'a quote document is required' }, { field: 'quote_reference', code: 'quote_required', message: 'a quote document is required' }] });
    expect(moveError(e)).toBe('a quote document is required');
    expect(moveError(new ApiError(412, { detail: 'Someone else changed it' }))).toBe('Someone else changed it');
  });
});

describe('approval step of the caller', () => {
  const step = (over: object) => ({ round: 2, step: 1, role: 'manager', name: 'M', assignee_id: 'm', status: 'approved', started_at: null, reminded_at: null, escalated_at: null, escalated_to: null, decided_by: null, decided_at: null, comment: null, seconds_taken: null, ...over });
  it('is the pending step of the current round assigned or escalated to me', () => {
    const c = { round: 2, steps: [step({ round: 1, status: 'pending', assignee_id: 'me' }), step({ step: 1 }), step({ step: 2, status: 'pending', assignee_id: 'f', escalated_to: 'me' })] };
    expect(myPendingStep(c as never, 'me')?.step).toBe(2);
    expect(myPendingStep(c as never, 'other')).toBeUndefined();
  });
});

describe('customer filter', () => {
  it('maps the filter language to list query parameters', () => {
    expect(filterToQuery({ owner_id: 'u1', tags_all: ['A', 'B'], tags_any: [], q: '' })).toMatchObject({ owner: 'u1', tag: ['A', 'B'], tag_any: undefined, q: undefined });
  });
  it('drops empty values before saving a segment or exporting', () => {
    expect(cleanFilter({ q: '', grade: 'intent', tags_all: [], region: undefined })).toEqual({ grade: 'intent' });
  });
});

describe('notification links', () => {
  it('point at the record the notification is about', () => {
    expect(linkOf({ contract_id: 'k1', customer_id: 'c1' })).toBe('/contracts/k1');
    expect(linkOf({ customer_id: 'c1' })).toBe('/customers/c1');
    expect(linkOf({ lead_id: 'l1' })).toBe('/leads?open=l1');
    expect(linkOf({})).toBeNull();
  });
});
