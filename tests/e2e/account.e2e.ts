// A newcomer in a real browser: signs up, confirms by the link in the mail caught by a real
// SMTP server, sets a password, logs out, logs in with it, sees their profile. And what a
// mistyped form looks like, with and without JavaScript.
import { expect, test, type Page } from '@playwright/test';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { codeOf, startSmtp, type TestSmtp } from '../helpers/smtp.ts';

let smtp: TestSmtp;
let instance: Instance;

test.beforeAll(async () => {
  smtp = await startSmtp();
  instance = await startInstance({ name: 'e2e', env: { SMTP_URL: smtp.url, ALLOW_PRIVATE_ADDRESS: 'false' } });
});

test.afterAll(async () => {
  await instance?.stop();
  await smtp?.close();
});

const url = (path: string) => new URL(path, instance.url).href;

async function signUp(page: Page, email: string, name: string) {
  await page.goto(url('/'));
  await page.getByRole('link', { name: 'Rejoindre en un clic' }).click();
  await expect(page.getByRole('heading', { name: 'Créer un compte' })).toBeVisible();
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Nom affiché').fill(name);
  await page.getByLabel('Code postal').fill('75011');
  await page.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.getByRole('heading', { name: 'Vérifiez vos e-mails' })).toBeVisible();
}

test('sign up, confirm by mail, set a password, log out, log in, see the profile', async ({ page }) => {
  await signUp(page, 'lea@example.org', 'Léa Militante');
  const { link } = codeOf(await smtp.waitFor('lea@example.org'));
  expect(link).toBeTruthy();

  // The mailed link shows a button (mail scanners open links; a GET must not log anyone in).
  await page.goto(link!);
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page).toHaveURL(/\/settings\?welcome=1$/);
  await expect(page.getByRole('heading', { name: 'Paramètres' })).toBeVisible();

  await page.getByRole('link', { name: 'Compte' }).click();
  await page.getByLabel('Nouveau mot de passe').fill('le peuple uni 2026');
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await expect(page.getByRole('status')).toContainText('Mot de passe enregistré');

  await page.getByText('Menu').click();
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page.getByRole('status')).toContainText('Vous êtes déconnecté·e.');

  await page.locator('#password-email').fill('lea@example.org');
  await page.locator('#password-password').fill('le peuple uni 2026');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { name: 'Bonjour Léa Militante !' })).toBeVisible();

  await page.getByText('Menu').click();
  await page.getByRole('navigation').getByRole('link', { name: 'Mon profil' }).click();
  await expect(page).toHaveURL(/\/@lea_militante$/);
  await expect(page.getByRole('heading', { name: 'Léa Militante' })).toBeVisible();
  await expect(page.getByText('@lea_militante')).toBeVisible();

  // The actor URL, opened by a browser, is the same profile; a server gets ActivityStreams.
  const { id } = await (await page.request.get(url('/api/me'))).json();
  await page.goto(url(`/users/${id}`));
  await expect(page).toHaveURL(/\/@lea_militante$/);
  const actor = await page.request.get(url(`/users/${id}`), { headers: { accept: 'application/activity+json' } });
  expect((await actor.json()).preferredUsername).toBe('lea_militante');
});

test('confirms a sign-up with the 6-digit code too', async ({ page }) => {
  await signUp(page, 'noe@example.org', 'Noé');
  const { code } = codeOf(await smtp.waitFor('noe@example.org'));
  await page.getByLabel('Code à 6 chiffres').fill(code);
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page).toHaveURL(/\/settings\?welcome=1$/);
});

for (const javaScriptEnabled of [true, false]) {
  test(`a mistyped sign-up shows what to fix and creates nothing (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(url('/signup'));
    await page.getByLabel('Adresse e-mail').fill('pas-une-adresse');
    await page.getByLabel('Nom affiché').fill('Sam');
    await page.getByLabel('Code postal').fill('7501');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page.getByRole('alert')).toContainText('Certaines informations ne sont pas valides.');
    await expect(page.getByText("Cette adresse e-mail n'est pas valide.")).toBeVisible();
    await expect(page.getByText('Le code postal doit comporter 5 chiffres.')).toBeVisible();
    await expect(page.getByText('Vous devez accepter la charte')).toBeVisible();
    await expect(page.getByLabel('Adresse e-mail')).toHaveAttribute('aria-invalid', 'true');
    // What was typed is kept.
    await expect(page.getByLabel('Nom affiché')).toHaveValue('Sam');
    await expect(page).toHaveURL(/\/signup$/);
    await context.close();
  });
}

test('a wrong code says so and lets the member try again', async ({ page }) => {
  await page.goto(url('/login'));
  await page.locator('#code-email').fill('lea@example.org');
  await page.getByRole('button', { name: 'Recevoir un code' }).click();
  await expect(page.getByRole('heading', { name: 'Vérifiez vos e-mails' })).toBeVisible();
  const { code } = codeOf(await smtp.waitFor('lea@example.org', (m) => m.subject.includes('code de connexion')));
  await page.getByLabel('Code à 6 chiffres').fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page.getByText('Code incorrect ou expiré.')).toBeVisible();
  await page.getByLabel('Code à 6 chiffres').fill(code);
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page.getByRole('heading', { name: 'Bonjour Léa Militante !' })).toBeVisible();
});

test('speaks English when asked, and the first admin sets up the instance from the one-time link', async ({ page }) => {
  await page.goto(url('/'));
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('button', { name: 'OK' }).click();
  await expect(page.getByRole('link', { name: 'Join in one click' })).toBeVisible();

  await page.goto(instance.setupUrl!);
  await page.getByLabel('Instance name').fill('Groupe de Lille');
  await page.getByLabel('Email address').fill('admin@example.org');
  await page.getByLabel('Display name').fill('Admin');
  await page.getByLabel(/Password/).fill('une instance solide');
  await page.getByRole('button', { name: 'Create the administrator account' }).click();
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Groupe de Lille' })).toBeVisible();

  // The link works once.
  await page.goto(instance.setupUrl!);
  await expect(page.getByRole('alert')).toContainText('not (or no longer) valid');
});
