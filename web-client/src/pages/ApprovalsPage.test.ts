import { describe, expect, it } from 'vitest';
import { hasDecisions } from './ApprovalsPage';

const durations = (count: number) => ({ count, avg_hours: count ? 2 : null, median_hours: count ? 1.5 : null, p95_hours: count ? 4 : null, max_hours: count ? 5 : null, avg_working_hours: count ? 2 : null });
const report = (...counts: number[]) => ({
  since: '2026-09-01T00:00:00Z', until: '2026-12-01T00:00:00Z', rounds: durations(0), rounds_within_one_day: null, pending: {},
  steps: counts.map((n, i) => ({ role: (['manager', 'finance', 'executive'] as const)[i], durations: durations(n), approved: n, rejected: 0, reminded: 0, escalated: 0 })),
});

describe('the approval-time chart', () => {
  it('is drawn only when a step was decided in the range', () => {
    expect(hasDecisions(report(0, 0, 0))).toBe(false);
    expect(hasDecisions(report())).toBe(false);
    expect(hasDecisions(report(0, 3, 0))).toBe(true);
  });
});
