// Browser tests: a member signs up on their own phone (a browser context of their own), through
// the sign-up form and the emailed link, as a real member does.
import { expect, type Browser, type Page } from '@playwright/test';
import { codeOf, type TestSmtp } from './smtp.ts';

export async function signUpInBrowser(browser: Browser, base: URL, smtp: TestSmtp, email: string, name: string, postalCode: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(new URL('/signup', base).href);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Nom affiché').fill(name);
  await page.getByLabel('Code postal').fill(postalCode);
  await page.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.getByRole('heading', { name: 'Vérifiez vos e-mails' })).toBeVisible();
  const { link } = codeOf(await smtp.waitFor(email));
  await page.goto(link!);
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page).toHaveURL(/\/settings\?welcome=1$/);
  return page;
}
