// Two instances in a real browser, each member on their own phone (A: Ana; B: Bea and Cyr):
//   - Bea finds Ana by her handle from search and asks her as a friend from her profile; Ana
//     accepts on A; they are friends on both sides.
//   - Ana posts to her friends only: Bea sees it in her feed on B, Cyr (on B, not a friend) nowhere.
//   - Ana creates a group on A; Bea finds it from B, joins it, and posts in it; Ana reads the post on A.
//   - Ana publishes an action with a hidden address; Bea answers from B, is confirmed by A, and
//     then sees the address; Cyr does not.
//   - Ana and Bea chat live, each on their own instance.
//   - A stops: Bea keeps using B (posts, writes to Ana); A comes back and what was pending arrives.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { signUpInBrowser } from '../helpers/browser.ts';
import { startNetwork, type Network } from '../helpers/federation.ts';
import type { Instance } from '../helpers/instance.ts';

let net: Network;
let a: Instance;
let b: Instance;

test.beforeAll(async () => {
  net = await startNetwork(['A', 'B']);
  [a, b] = net.instances;
});

test.afterAll(async () => {
  await net?.stop();
});

const on = (i: Instance, path: string) => new URL(path, i.url).href;
const member = (browser: Browser, i: Instance, email: string, name: string) => signUpInBrowser(browser, i.url, net.smtp, email, name, '75011');

/** Reloads a page until a text shows (deliveries between instances go through queues). */
async function until(page: Page, path: string, text: string | RegExp, timeout = 30_000) {
  await expect(async () => {
    await page.goto(path);
    await expect(page.getByText(text).first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout, intervals: [500, 1000, 2000] });
}

/** The room page once its chat client runs (hydrated, socket connected). */
const live = (page: Page) => expect(page.getByTestId('chat-room')).toHaveAttribute('data-live', 'true');
const say = async (page: Page, text: string) => {
  await page.getByRole('textbox', { name: 'Votre message' }).fill(text);
  await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
};
const message = (page: Page, text: string) => page.getByTestId('chat-message').filter({ hasText: text });

test('two instances: friends, a friends-only post, a group, an action and a chat across them; one instance down and back', async ({ browser }) => {
  test.setTimeout(360_000);
  const ana = await member(browser, a, 'ana@example.org', 'Ana Rouge');
  const bea = await member(browser, b, 'bea@example.org', 'Bea Verte');
  const cyr = await member(browser, b, 'cyr@example.org', 'Cyr Noir');
  const anaHandle = `ana_rouge@${a.url.host}`;
  const beaHandle = `bea_verte@${b.url.host}`;

  // Bea finds Ana from search, by her handle, and asks her as a friend from her profile.
  await bea.goto(on(b, '/search'));
  await bea.getByRole('searchbox').fill(`@${anaHandle}`);
  await bea.getByRole('button', { name: 'Chercher' }).click();
  await bea.getByRole('link', { name: 'Ana Rouge' }).click();
  await expect(bea).toHaveURL(new RegExp(`/@${anaHandle.replace('.', '\\.')}$`));
  await expect(bea.getByText(`Sur ${a.url.host}`)).toBeVisible();
  await bea.getByRole('button', { name: 'Demander en ami·e' }).click();
  await expect(bea.getByText('Demande envoyée')).toBeVisible();

  // Ana accepts on A, from Bea's profile there.
  await until(ana, on(a, `/@${beaHandle}`), 'Accepter');
  await ana.getByRole('button', { name: 'Accepter' }).click();
  await expect(ana.getByText('Vous êtes ami·es')).toBeVisible();
  await until(bea, on(b, `/@${anaHandle}`), 'Vous êtes ami·es');

  // Ana posts to her friends only: Bea reads it on B; Cyr, on B too, nowhere.
  await ana.goto(on(a, '/'));
  await ana.getByRole('textbox', { name: 'Écrire une publication' }).fill('Réunion **discrète** jeudi au local');
  await ana.getByLabel('Qui peut voir ?').selectOption('friends');
  await ana.getByRole('button', { name: 'Publier' }).click();
  await expect(ana.getByText('Publication envoyée.')).toBeVisible();
  await until(bea, on(b, '/'), 'Réunion discrète jeudi au local');
  for (const path of ['/', `/@${anaHandle}`, '/public']) {
    await cyr.goto(on(b, path));
    await expect(cyr.getByRole('heading').first()).toBeVisible();
    await expect(cyr.getByText('Réunion discrète')).toHaveCount(0);
  }

  // Ana's group on A; Bea finds it from B, joins, and posts in it.
  await ana.goto(on(a, '/groups/new'));
  await ana.getByLabel('Nom du groupe').fill('Comité Fédéré');
  await ana.getByLabel('Code postal').fill('75011');
  await ana.getByRole('button', { name: 'Créer un groupe' }).click();
  await expect(ana).toHaveURL(/\/g\/comite_federe/);
  await bea.goto(on(b, '/search'));
  await bea.getByRole('searchbox').fill(`@comite_federe@${a.url.host}`);
  await bea.getByRole('button', { name: 'Chercher' }).click();
  await bea.getByRole('link', { name: 'Comité Fédéré' }).click();
  await bea.getByRole('button', { name: 'Rejoindre' }).click();
  await expect(bea.getByText(`Demande envoyée au serveur du groupe (${a.url.host})`)).toBeVisible();
  const groupOnB = new URL(bea.url()).pathname;
  await until(bea, on(b, groupOnB), 'Vous êtes membre');
  await bea.getByRole('textbox', { name: 'Écrire une publication' }).fill('Je tiens la table de presse samedi');
  await bea.getByRole('button', { name: 'Publier' }).click();
  await expect(bea.getByText('Publication envoyée.')).toBeVisible();
  await until(ana, on(a, '/g/comite_federe'), 'Je tiens la table de presse samedi');

  // Ana's action with a hidden address: Bea answers from B and, once A confirms, sees the address.
  await ana.goto(on(a, '/events/new'));
  await ana.getByLabel('Titre').fill('Porte-à-porte fédéré');
  await ana.getByLabel("Type d'action").selectOption({ label: 'Porte-à-porte' });
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await ana.getByLabel('Début').fill(`${tomorrow}T18:00`);
  await ana.getByLabel('Fin').fill(`${tomorrow}T20:00`);
  await ana.getByLabel('Nom du lieu').fill('Chez Léon');
  await ana.getByLabel('Adresse', { exact: true }).fill('12 rue Secrète');
  await ana.getByLabel('Code postal').fill('75011');
  await ana.getByLabel(/Ne montrer l'adresse exacte/).check();
  await ana.getByRole('button', { name: "Publier l'action" }).click();
  await expect(ana.getByText('Action publiée.')).toBeVisible();
  await until(bea, on(b, '/events?q=fédéré'), 'Porte-à-porte fédéré');
  await bea.getByRole('link', { name: /Porte-à-porte fédéré/ }).first().click();
  await expect(bea).toHaveURL(/\/events\/\w+$/);
  await expect(bea.getByRole('heading', { name: 'Porte-à-porte fédéré' })).toBeVisible();
  const eventOnB = new URL(bea.url()).pathname;
  await expect(bea.getByText('12 rue Secrète')).toHaveCount(0);
  await bea.getByRole('button', { name: "J'y vais" }).click();
  await until(bea, on(b, eventOnB), 'Vous participez.');
  await until(bea, on(b, eventOnB), '12 rue Secrète');
  await cyr.goto(on(b, eventOnB));
  await expect(cyr.getByRole('heading', { name: 'Porte-à-porte fédéré' })).toBeVisible();
  await expect(cyr.getByText('12 rue Secrète')).toHaveCount(0);

  // They chat live, each on their own instance.
  await bea.goto(on(b, `/@${anaHandle}`));
  await bea.getByRole('button', { name: 'Envoyer un message' }).click();
  await live(bea);
  await say(bea, 'Salut Ana, je serai là demain');
  await ana.goto(on(a, `/@${beaHandle}`));
  await ana.getByRole('button', { name: 'Envoyer un message' }).click();
  await live(ana);
  await expect(message(ana, 'Salut Ana, je serai là demain')).toBeVisible({ timeout: 15_000 });
  await say(ana, 'Parfait, à demain');
  await expect(message(bea, 'Parfait, à demain')).toBeVisible({ timeout: 15_000 });
  const anaRoom = ana.url();

  // A stops. Bea keeps using B: her pages answer, she posts, she writes to Ana.
  await a.kill('SIGTERM');
  await bea.goto(on(b, '/'));
  await bea.getByRole('textbox', { name: 'Écrire une publication' }).fill('Pendant la panne de A');
  await bea.getByLabel('Qui peut voir ?').selectOption('friends');
  await bea.getByRole('button', { name: 'Publier' }).click();
  await expect(bea.getByText('Publication envoyée.')).toBeVisible();
  await bea.goto(on(b, `/@${anaHandle}`));
  await bea.getByRole('button', { name: 'Envoyer un message' }).click();
  await live(bea);
  for (const text of ['Tu es là ?', 'Ton serveur ne répond plus', 'Je réessaie plus tard']) {
    await say(bea, text);
    await expect(message(bea, text)).toBeVisible();
  }
  await expect(bea.getByTestId('chat-pending')).toHaveCount(0); // stored on B: acknowledged

  // A comes back: the messages arrive, once and in order, and so does the post.
  await a.restart();
  await ana.goto(anaRoom);
  await live(ana);
  // (Deliveries to A failed meanwhile; after repeated failures Fedify pauses a server for a minute.)
  await expect(message(ana, 'Je réessaie plus tard')).toBeVisible({ timeout: 150_000 });
  const texts = await ana.getByTestId('chat-message').locator('.msg-body').allInnerTexts();
  expect(texts).toEqual(['Salut Ana, je serai là demain', 'Parfait, à demain', 'Tu es là ?', 'Ton serveur ne répond plus', 'Je réessaie plus tard']);
  await until(ana, on(a, '/'), 'Pendant la panne de A', 60_000);
});
