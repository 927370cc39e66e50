// The social core in a real browser, three members on their phones:
//   - Alice finds Bob through search and asks him from the results; Bob's bell counts it live;
//     he accepts from her profile.
//   - Alice posts to her friends only: Bob's open feed announces it live; Cléo, a member who is
//     not her friend, finds it nowhere (feed, profile, public page, search, hashtag, its own URL).
//   - An organizer creates a group on request with a question; Dina asks to join; the organizer's
//     bell counts it live; they approve; Dina is told and posts to the group; the organizer sees
//     the post on the group's page.
//   - On a slow phone, text typed before the page's scripts arrive survives hydration.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { signUpInBrowser } from '../helpers/browser.ts';

let smtp: TestSmtp;
let instance: Instance;

test.beforeAll(async () => {
  smtp = await startSmtp();
  instance = await startInstance({ name: 'e2e-social', env: { SMTP_URL: smtp.url, ALLOW_PRIVATE_ADDRESS: 'false' } });
});

test.afterAll(async () => {
  await instance?.stop();
  await smtp?.close();
});

const url = (path: string) => new URL(path, instance.url).href;

/** A member signed up and logged in, in a browser context of their own. */
const member = (browser: Browser, email: string, name: string, postalCode = '75020') => signUpInBrowser(browser, instance.url, smtp, email, name, postalCode);

const bell = (page: Page) => page.getByTestId('unread-count');

test('two members meet through search, become friends; a friends-only post stays out of a third member’s sight', async ({ browser }) => {
  const alice = await member(browser, 'alice@example.org', 'Alice Rouge');
  const bob = await member(browser, 'bob@example.org', 'Bob Vert');
  const cleo = await member(browser, 'cleo@example.org', 'Cléo Noire');
  await bob.goto(url('/'));
  await expect(bell(bob)).toHaveCount(0);

  // Alice searches (by name, any case) and asks Bob as a friend right from the results.
  await alice.goto(url('/search'));
  await alice.getByRole('searchbox').fill('bob vert');
  await alice.getByRole('button', { name: 'Chercher' }).click();
  await expect(alice.getByRole('link', { name: /Bob Vert/ })).toBeVisible();
  await alice.getByRole('button', { name: 'Demander en ami·e' }).click();
  await expect(alice.getByText('Demande envoyée')).toBeVisible();
  await expect(alice).toHaveURL(/\/search\?q=bob%20vert$/);

  // Bob's bell counts it without a reload; he accepts from Alice's profile.
  await expect(bell(bob)).toHaveText('1');
  await bob.getByRole('link', { name: /Notifications/ }).click();
  await expect(bob.getByText('Alice Rouge vous demande en ami·e')).toBeVisible();
  await bob.goto(url('/@alice_rouge'));
  await bob.getByRole('button', { name: 'Accepter' }).click();
  await expect(bob.getByText('Vous êtes ami·es')).toBeVisible();
  await expect(bell(alice)).toHaveText('1'); // "Bob accepted", live on Alice's open page

  // Bob keeps his home feed open; Alice posts to her friends only.
  await bob.goto(url('/'));
  await alice.goto(url('/'));
  await alice.getByRole('textbox', { name: 'Écrire une publication' }).fill('Réunion **secrète** jeudi chez Léon #confidentiel');
  await alice.getByLabel('Qui peut voir ?').selectOption('friends');
  await alice.getByRole('button', { name: 'Publier' }).click();
  await expect(alice.getByText('Publication envoyée.')).toBeVisible();
  await expect(alice.locator('article').filter({ hasText: 'Réunion secrète jeudi' })).toBeVisible();
  const postLink = await alice.locator('article').filter({ hasText: 'Réunion secrète jeudi' }).locator('a[href^="/posts/"]').first().getAttribute('href');
  expect(postLink).toMatch(/^\/posts\/\w+$/);

  await bob.getByRole('button', { name: /1 nouvelle\(s\) publication\(s\)/ }).click();
  await expect(alice.getByRole('button', { name: /nouvelle\(s\) publication\(s\)/ })).toHaveCount(0); // already shown to her
  await expect(bob.locator('article').filter({ hasText: 'Réunion secrète jeudi' })).toBeVisible();

  // Cléo, a member but not a friend, sees it nowhere.
  for (const path of ['/', '/@alice_rouge', '/public', '/search?q=secrete', '/tags/confidentiel']) {
    await cleo.goto(url(path));
    await expect(cleo.getByRole('heading').first()).toBeVisible();
    await expect(cleo.getByText('Réunion')).toHaveCount(0);
  }
  const direct = await cleo.goto(url(postLink!));
  expect(direct?.status()).toBe(404);
  await expect(cleo.getByText('Réunion')).toHaveCount(0);
  expect((await cleo.request.get(url(`/api${postLink}`))).status()).toBe(404);
  // Nor does anyone logged out.
  const anonymous = await browser.newPage();
  expect((await anonymous.goto(url(postLink!)))?.status()).toBe(404);
  await anonymous.close();
});

test('a group on request: a member asks, the organizer approves, the member posts to the group', async ({ browser }) => {
  const orga = await member(browser, 'orga@example.org', 'Orga Belleville');
  const dina = await member(browser, 'dina@example.org', 'Dina');

  await orga.goto(url('/groups/new'));
  await orga.getByLabel('Nom du groupe').fill('Comité Belleville');
  await orga.getByLabel('Code postal').fill('75020');
  await orga.getByLabel('Territoire (quartier, canton…)').fill('Belleville');
  await orga.getByLabel('Sur demande').check();
  await orga.getByLabel(/Question posée/).fill('Dans quel quartier habitez-vous ?');
  await orga.getByRole('button', { name: 'Créer un groupe' }).click();
  await expect(orga.getByText("Groupe créé. Vous en êtes l'administrateur·ice.")).toBeVisible();
  await expect(orga).toHaveURL(/\/g\/comite_belleville/);
  const groupPath = new URL(orga.url()).pathname;

  // Dina finds it in the directory and asks, answering the question.
  await dina.goto(url('/groups'));
  await dina.getByRole('link', { name: /Comité Belleville/ }).click();
  await dina.getByLabel('Dans quel quartier habitez-vous ?').fill('Belleville, rue des Envierges');
  await dina.getByRole('button', { name: 'Demander à rejoindre' }).click();
  await expect(dina.getByText('Demande envoyée : les organisateur·ices vont répondre.')).toBeVisible();

  // The organizer is told live, and approves from the group's management page.
  await expect(bell(orga)).toHaveText('1');
  await orga.goto(url('/notifications'));
  await orga.getByRole('button', { name: /Dina demande à rejoindre Comité Belleville/ }).click();
  await expect(orga.getByText('Belleville, rue des Envierges')).toBeVisible();
  await orga.getByRole('button', { name: 'Accepter' }).click();
  await expect(orga.getByText('Aucune demande en attente.')).toBeVisible();

  // Dina is told, and posts to the group's members.
  await expect(bell(dina)).toHaveText('1');
  await dina.goto(url('/notifications'));
  await expect(dina.getByText('Votre demande pour rejoindre Comité Belleville a été acceptée')).toBeVisible();
  await dina.goto(url(groupPath));
  await dina.getByRole('textbox', { name: 'Écrire une publication' }).fill('Je tracte samedi au marché, qui vient ?');
  await expect(dina.getByLabel('Qui peut voir ?')).toHaveValue('group');
  await dina.getByRole('button', { name: 'Publier' }).click();
  await expect(dina.getByText('Publication envoyée.')).toBeVisible();

  await orga.goto(url(groupPath));
  await expect(orga.locator('article').filter({ hasText: 'Je tracte samedi au marché' })).toBeVisible();
});

test('on a slow phone, what a member types before the scripts arrive is kept', async ({ browser }) => {
  const page = await member(browser, 'lent@example.org', 'Léo Lent');
  // The page's scripts are held back until the member has typed.
  let release!: () => void;
  const typed = new Promise<void>((r) => (release = r));
  await page.route('**/_app/immutable/**', async (route) => {
    await typed;
    await route.continue();
  });
  await page.goto(url('/search'), { waitUntil: 'commit' });
  await page.getByRole('searchbox').fill('léo');
  release();
  await page.waitForLoadState('networkidle'); // scripts loaded: the page is hydrated
  await expect(page.getByRole('searchbox')).toHaveValue('léo');
  await page.getByRole('button', { name: 'Chercher' }).click();
  await expect(page).toHaveURL(/\/search\?q=l%C3%A9o$/);
});
