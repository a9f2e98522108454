import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { Route, Routes } from 'react-router';
import LoginPage from './LoginPage';
import { getTokens } from '../api/auth';
import { jsonResponse, mockFetch, renderWithProviders } from '../test-utils';

function fill(email: string, password: string) {
  fireEvent.change(screen.getByLabelText('邮箱'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('密码'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: /登\s*录/ }));
}

describe('LoginPage', () => {
  beforeEach(() => localStorage.clear());

  it('posts the OAuth2 password form, keeps the tokens and goes to My day', async () => {
    const calls = mockFetch({ 'POST /api/v1/auth/token': () => jsonResponse(200, { access_token: 'A', refresh_token: 'R', expires_in: 900, token_type: 'bearer' }) });
    renderWithProviders(<Routes><Route path="/login" element={<LoginPage />} /><Route path="/my-day" element={<p>my day here</p>} /></Routes>, { route: '/login' });
    fill('rep@demo.crm', 'secret-pass');
    expect(await screen.findByText('my day here')).toBeInTheDocument();
    const body = new URLSearchParams(await calls[0].text());
    expect(body.get('username')).toBe('rep@demo.crm');
    expect(body.get('password')).toBe('secret-pass');
    expect(getTokens()?.refresh_token).toBe('R');
  });

  it('says the account is locked, and for how long, on 429', async () => {
    mockFetch({ 'POST /api/v1/auth/token': () => jsonResponse(429, { title: 'Too Many Requests', status: 429, detail: 'Too many failed log-ins' }, { 'Retry-After': '840' }) });
    renderWithProviders(<Routes><Route path="/login" element={<LoginPage />} /></Routes>, { route: '/login' });
    fill('rep@demo.crm', 'wrong');
    const alert = await screen.findByTestId('login-error');
    expect(alert).toHaveTextContent('账户已锁定');
    expect(alert).toHaveTextContent('840 秒');
    expect(getTokens()).toBeNull();
  });

  it("shows the API's detail on a wrong password", async () => {
    mockFetch({ 'POST /api/v1/auth/token': () => jsonResponse(401, { title: 'Unauthorized', status: 401, detail: 'Wrong e-mail or password' }) });
    renderWithProviders(<Routes><Route path="/login" element={<LoginPage />} /></Routes>, { route: '/login' });
    fill('rep@demo.crm', 'wrong');
    await waitFor(() => expect(screen.getByTestId('login-error')).toHaveTextContent('Wrong e-mail or password'));
  });
});
