import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { EditContractModal, TerminateModal } from './ContractDialogs';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

const draft = {
  id: 'k1', number: 'HT202612000001', customer_id: 'c1', customer_name: '上海明远精密机械制造有限公司', opportunity_id: null,
  title: '2027 年度网关采购合同', amount: '2000.00', currency: 'CNY',
  lines: [{ product: 'GW-200', quantity: '2', unit_price: '1000.00', discount: '0.00', total: '2000.00' }],
  start_date: '2027-01-01', end_date: '2027-12-31', payment_terms: '30/70', owner_id: 'u1', status: 'draft', round: 0, steps: [],
  submitted_at: null, approved_at: null, signed_at: null, activated_at: null, paid_at: null, ended_at: null,
  termination_reason: null, missing_for_submit: [], version: 2, created_at: null, updated_at: null,
} as const;

const saveButton = () => screen.getByTestId('draft-save');

describe('EditContractModal', () => {
  it('words a line error for people, and sends nothing until the form holds what the server accepts', async () => {
    const calls = mockFetch({});
    renderWithProviders(<EditContractModal contract={draft as never} onClose={() => {}} />);
    const product = await screen.findByDisplayValue('GW-200');
    fireEvent.change(product, { target: { value: '  ' } });
    fireEvent.click(saveButton());
    expect(await screen.findByText('请输入产品名称')).toBeInTheDocument();
    expect(screen.queryByText(/0,product/)).toBeNull();
    const quantity = screen.getByDisplayValue('2');
    fireEvent.change(quantity, { target: { value: '1.2345' } });
    fireEvent.click(saveButton());
    expect(await screen.findByText('数量最多保留 3 位小数')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it('edits under If-Match and shows a server field error once, at its field', async () => {
    const calls = mockFetch({
      'PATCH /api/v1/contracts/k1': () => jsonResponse(422, {
        type: '/problems/validation', title: 'Validation failed', status: 422, detail: 'lines.0.unit_price: 单价过高',
        errors: [{ field: 'lines.0.unit_price', message: '单价过高' }] }),
    });
    const onClose = vi.fn();
    renderWithProviders(<EditContractModal contract={draft as never} onClose={onClose} />);
    fireEvent.change(await screen.findByDisplayValue('30/70'), { target: { value: '50/50' } });
    fireEvent.click(saveButton());
    expect(await screen.findByText('单价过高')).toBeInTheDocument();
    expect(screen.getAllByText(/单价过高/)).toHaveLength(1);
    expect(screen.queryByRole('alert')).toBeNull();
    const patch = calls.find((r) => r.method === 'PATCH')!;
    expect(patch.headers.get('If-Match')).toBe('"2"');
    const body = JSON.parse(await patch.text());
    expect(body).toMatchObject({ payment_terms: '50/50', start_date: '2027-01-01', end_date: '2027-12-31',
      lines: [{ product: 'GW-200', quantity: '2', unit_price: '1000.00', discount: '0.00' }] });
    expect(onClose).not.toHaveBeenCalled();
  });

  it('asks for what submitting needs before it submits', async () => {
    const calls = mockFetch({});
    const incomplete = { ...draft, end_date: null, missing_for_submit: [{ field: 'end_date', code: 'required_to_submit' }] };
    renderWithProviders(<EditContractModal contract={incomplete as never} submitAfter onClose={() => {}} />);
    expect(await screen.findByTestId('missing-for-submit')).toHaveTextContent('结束日期');
    fireEvent.click(saveButton());
    expect(await screen.findByText('提交审批前须填写结束日期')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it('saves a rejected contract back to draft, then submits it at the version it saved', async () => {
    const calls = mockFetch({
      'PATCH /api/v1/contracts/k1': () => jsonResponse(200, { ...draft, version: 5 }, { ETag: '"5"' }),
      'POST /api/v1/contracts/k1/submit': () => jsonResponse(200, { ...draft, status: 'in_approval', version: 6 }),
    });
    const onClose = vi.fn();
    renderWithProviders(<EditContractModal contract={{ ...draft, status: 'rejected' } as never} submitAfter onClose={onClose} />);
    await screen.findByDisplayValue('GW-200');
    fireEvent.click(saveButton());
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const submit = calls.find((r) => r.url.endsWith('/submit'))!;
    expect(submit.headers.get('If-Match')).toBe('"5"');
  });
});

describe('TerminateModal', () => {
  it('needs a reason, sends it, and closes', async () => {
    const calls = mockFetch({
      'POST /api/v1/contracts/k1/terminate': () => jsonResponse(200, { ...draft, status: 'terminated' }),
    });
    const onClose = vi.fn();
    renderWithProviders(<TerminateModal contract={{ id: 'k1', number: draft.number }} onClose={onClose} />);
    fireEvent.click(await screen.findByTestId('terminate-ok'));
    expect(await screen.findByText('请填写终止原因')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    fireEvent.change(screen.getByTestId('terminate-reason'), { target: { value: ' 客户破产 ' } });
    fireEvent.click(screen.getByTestId('terminate-ok'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(JSON.parse(await calls[0].text())).toEqual({ reason: '客户破产' });
  });

  it('shows a refusal that names no field in a banner', async () => {
    mockFetch({
      'POST /api/v1/contracts/k1/terminate': () => jsonResponse(409, { type: '/problems/invalid-transition', title: 'Conflict', status: 409, detail: '已完成的合同不能终止' }),
    });
    const onClose = vi.fn();
    renderWithProviders(<TerminateModal contract={{ id: 'k1', number: draft.number }} onClose={onClose} />);
    fireEvent.change(await screen.findByTestId('terminate-reason'), { target: { value: '客户破产' } });
    fireEvent.click(screen.getByTestId('terminate-ok'));
    expect(await screen.findByText('已完成的合同不能终止')).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
  });
});
