import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import i18n from './index';
import { labelOf, labelOptions, readableCode, useLabels } from './labels';

afterEach(async () => { await i18n.changeLanguage('zh-CN'); });

describe('labelOf', () => {
  it('gives the label in the UI language, including codes with colons and dots', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(labelOf('lead_source', 'trade_show')).toBe('展会');
    expect(labelOf('scope', 'customers:read')).toBe('查看客户');
    expect(labelOf('webhook_event', 'contract.signed')).toBe('合同已签署');
    expect(labelOf('industry', 'manufacturing')).toBe('制造业');
    expect(labelOf('lead_source', 'trade_show', 'en')).toBe('Trade show');
  });

  it('shows a readable text for a code it does not know and a dash for no value', () => {
    expect(labelOf('lead_source', 'carrier_pigeon')).toBe('Carrier pigeon');
    expect(labelOf('no_such_kind', 'x')).toBe('X');
    expect(labelOf('lead_source', null)).toBe('—');
    expect(readableCode('customers:read')).toBe('Customers: read');
  });

  it('is also the i18n key enum.<kind>.<value>', () => {
    expect(i18n.t('enum.region.east', { lng: 'zh-CN' })).toBe('华东');
    expect(i18n.t('enum.region.east', { lng: 'en' })).toBe('East China');
  });

  it('lists options of a kind in table order, or the values asked for', () => {
    expect(labelOptions('opportunity_status', 'zh-CN')).toEqual([
      { value: 'open', label: '进行中' }, { value: 'won', label: '赢单' }, { value: 'lost', label: '输单' }]);
    expect(labelOptions('channel', 'en', ['sms', 'email']).map((o) => o.label)).toEqual(['SMS', 'E-mail']);
  });
});

function Status({ value }: { value: string }) {
  const label = useLabels();
  const { options } = useLabels();
  return <span>{label('contract_status', value)} / {options('customer_kind').map((o) => o.label).join(',')}</span>;
}

describe('useLabels', () => {
  it('re-renders in the new language when the user switches', async () => {
    await i18n.changeLanguage('zh-CN');
    render(<Status value="in_approval" />);
    expect(screen.getByText('审批中 / 企业,个人')).toBeInTheDocument();
    await act(async () => { await i18n.changeLanguage('en'); });
    expect(screen.getByText('In approval / Company,Individual')).toBeInTheDocument();
  });
});
