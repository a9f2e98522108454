import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FollowUpForm } from './FollowUpForm';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

describe('FollowUpForm', () => {
  it('checks a visit in with the browser position and sends it with the follow-up', async () => {
    Object.defineProperty(navigator, 'geolocation', { configurable: true, value: {
      getCurrentPosition: (ok: PositionCallback) => ok({ coords: { latitude: 31.2304, longitude: 121.4737, accuracy: 18.6 } } as GeolocationPosition),
    } });
    const calls = mockFetch({ 'POST /api/v1/customers/c1/followups': () => jsonResponse(201, { id: 'f1' }) });
    renderWithProviders(<FollowUpForm customerId="c1" />);
    fireEvent.mouseDown(screen.getByLabelText('跟进方式'));
    fireEvent.click(await screen.findByTitle('拜访'));
    fireEvent.click(await screen.findByTestId('check-in'));
    expect(await screen.findByTestId('checked-in')).toHaveTextContent('31.23040, 121.47370（±19 米）');
    fireEvent.change(screen.getByLabelText('跟进内容'), { target: { value: '上门拜访' } });
    fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    await waitFor(() => expect(calls.length).toBe(1));
    const body = JSON.parse(await calls[0].text());
    expect(body).toMatchObject({ method: 'visit', summary: '上门拜访', check_in: { latitude: 31.2304, longitude: 121.4737, accuracy_m: 19 } });
  });

  it("names the geolocation error when the browser refuses", async () => {
    Object.defineProperty(navigator, 'geolocation', { configurable: true, value: {
      getCurrentPosition: (_ok: PositionCallback, fail: PositionErrorCallback) => fail({ code: 1, message: 'User denied Geolocation' } as GeolocationPositionError),
    } });
    renderWithProviders(<FollowUpForm customerId="c1" />);
    fireEvent.mouseDown(screen.getByLabelText('跟进方式'));
    fireEvent.click(await screen.findByTitle('拜访'));
    fireEvent.click(await screen.findByTestId('check-in'));
    expect(await screen.findByText('无法获取位置：User denied Geolocation')).toBeInTheDocument();
  });

  it('refuses a blank summary before sending, and shows a server field error once under its input', async () => {
    const calls = mockFetch({ 'POST /api/v1/customers/c1/followups': () => jsonResponse(422, {
      type: '/problems/validation', title: 'Unprocessable Content', status: 422, detail: '1 field is invalid',
      errors: [{ field: 'next_action', message: '下一步行动过长' }],
    }) });
    renderWithProviders(<FollowUpForm customerId="c1" />);
    fireEvent.change(screen.getByLabelText('跟进内容'), { target: { value: '   ' } });
    fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    expect(await screen.findByText('不能只填空格')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('跟进内容'), { target: { value: '电话沟通报价' } });
    fireEvent.change(screen.getByLabelText('下一步行动'), { target: { value: '发送报价单' } });
    fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
    expect(await screen.findByText('下一步行动过长')).toBeInTheDocument();
    expect(screen.getAllByText(/下一步行动过长/)).toHaveLength(1);
    expect(document.querySelector('.ant-alert')).toBeNull();
  });
});
