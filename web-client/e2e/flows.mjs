// The flows the issue lists, each a function of { browser, base, shots, api }.
import assert from 'node:assert/strict';
import { join } from 'node:path';

export const PASSWORD = 'demo-pass-2026';

export async function signIn(browser, base, email, opts = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 860 }, ...opts });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel(/邮箱|E-mail/).fill(email);
  await page.getByLabel(/密码|Password/).fill(PASSWORD);
  await page.getByRole('button', { name: /登\s*录|Sign in/ }).click();
  await page.waitForURL(/\/my-day$/);
  return { context, page };
}

export const flows = [
  {
    name: 'log-in, shell and language switch; a locked account says so',
    async run({ browser, base, shots }) {
      const { context, page } = await signIn(browser, base, 'rep@demo.crm');
      await page.getByRole('heading', { name: '我的一天' }).waitFor();
      await page.screenshot({ path: join(shots, 'my-day.png'), fullPage: true });
      await page.getByTestId('lang').click();
      await page.getByTitle('English').click();
      await page.getByRole('heading', { name: 'My day' }).waitFor();
      await page.getByTestId('lang').click();
      await page.getByTitle('中文').click();
      await context.close();

      // Phone width: the menu is a drawer.
      const phone = await signIn(browser, base, 'rep@demo.crm', { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
      await phone.page.getByTestId('menu-button').click();
      await phone.page.getByRole('menuitem', { name: '客户' }).click();
      await phone.page.waitForURL(/\/customers$/);
      await phone.page.screenshot({ path: join(shots, 'customers-375.png'), fullPage: true });
      await phone.context.close();

      const ctx = await browser.newContext({ locale: 'zh-CN' });
      const p = await ctx.newPage();
      await p.goto(`${base}/login`);
      for (let i = 0; i < 4; i++) {
        await p.getByLabel(/邮箱|E-mail/).fill('rep2@demo.crm');
        await p.getByLabel(/密码|Password/).fill('wrong-password');
        await p.getByRole('button', { name: /登\s*录|Sign in/ }).click();
        await p.getByTestId('login-error').waitFor();
      }
      const text = await p.getByTestId('login-error').innerText();
      assert.match(text, /锁定/, text);
      await p.screenshot({ path: join(shots, 'login-locked.png') });
      await ctx.close();
    },
  },
];
