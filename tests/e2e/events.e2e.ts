// Events in a real browser, on phones (390 × 844):
//   - an organizer posts an action with a hidden address and a single seat;
//   - a member finds it on the map around their postal code, joins, and then sees the address;
//   - another member who answers after the seat is taken waits, and does not see it;
//   - the organizer checks the participant in, counts a walk-in, and files the field report;
//   - the coordinator's page shows the report in its totals, concerns and list.
import { expect, test, type Browser } from '@playwright/test';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { signUpInBrowser } from '../helpers/browser.ts';
import { instantToLocal } from '../../server/events/time.ts';

let smtp: TestSmtp;
let instance: Instance;

test.beforeAll(async () => {
  smtp = await startSmtp();
  // No tile server can be reached here: maps draw their markers on a plain background.
  instance = await startInstance({ name: 'e2e-events', env: { SMTP_URL: smtp.url, ALLOW_PRIVATE_ADDRESS: 'false', MAP_TILE_URL: 'none' } });
});

test.afterAll(async () => {
  await instance?.stop();
  await smtp?.close();
});

const url = (path: string) => new URL(path, instance.url).href;
const parisIn = (minutes: number) => instantToLocal(new Date(Date.now() + minutes * 60_000), 'Europe/Paris');

const member = (browser: Browser, email: string, name: string, postalCode: string) => signUpInBrowser(browser, instance.url, smtp, email, name, postalCode);

test('a hidden address reaches only the confirmed participant; check-in, report and coordination follow', async ({ browser }) => {
  // The administrator (a coordinator by right), through the one-time setup link.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await admin.goto(instance.setupUrl!);
  await admin.getByLabel("Nom de l'instance").fill('Réseau de Paris-Est');
  await admin.getByLabel('Adresse e-mail').fill('admin@example.org');
  await admin.getByLabel('Nom affiché').fill('Admin');
  await admin.getByLabel(/Mot de passe/).fill('une instance solide');
  await admin.getByRole('button', { name: /Créer le compte/ }).click();
  await expect(admin.getByRole('heading', { name: 'Administration' })).toBeVisible();

  const olga = await member(browser, 'olga@example.org', 'Olga Organise', '75011');
  const bob = await member(browser, 'bob@example.org', 'Bob Vert', '75012');
  const cleo = await member(browser, 'cleo@example.org', 'Cléo Noire', '75020');

  // Olga posts the action: it has just begun (so that check-in and the report are open).
  await olga.goto(url('/events/new'));
  await olga.getByLabel('Titre').fill('Réunion de quartier discrète');
  await olga.getByLabel("Type d'action").selectOption({ label: 'Réunion' });
  await olga.getByLabel('Début').fill(parisIn(-30));
  await olga.getByLabel('Fin').fill(parisIn(180));
  await olga.getByLabel('Nom du lieu').fill('Chez Léon');
  await olga.getByLabel('Adresse', { exact: true }).fill('12 rue Secrète');
  await olga.getByLabel('Code postal').fill('75011');
  await olga.getByLabel(/Ne montrer l'adresse exacte/).check();
  await olga.getByLabel('Jauge (nombre de places)').fill('1');
  await olga.getByRole('button', { name: "Publier l'action" }).click();
  await expect(olga.getByText('Action publiée.')).toBeVisible();
  await expect(olga.getByText('12 rue Secrète')).toBeVisible();
  const eventPath = new URL(olga.url()).pathname;
  expect(eventPath).toMatch(/^\/events\/[a-z0-9]+$/);

  // Bob looks at the map around his postal code: the action is there, at the commune's centre.
  await bob.goto(url('/events/map'));
  await bob.getByLabel('Code postal').fill('75012');
  await bob.getByRole('button', { name: 'Centrer sur ce code postal' }).click();
  const pin = bob.getByTestId('map').getByRole('link', { name: /Réunion de quartier discrète/ });
  await expect(pin).toBeVisible();
  await expect(bob.getByTestId('map-list')).toContainText('position approximative');
  await pin.click();
  await expect(bob).toHaveURL(new RegExp(`${eventPath}$`));
  await expect(bob.getByRole('heading', { name: 'Réunion de quartier discrète' })).toBeVisible();
  await expect(bob.getByText("L'adresse exacte est communiquée aux participant·es confirmé·es.")).toBeVisible();
  await expect(bob.getByText('12 rue Secrète')).toHaveCount(0);
  await expect(bob.getByText('Chez Léon')).toHaveCount(0);
  await bob.getByRole('button', { name: "J'y vais" }).click();
  await expect(bob.getByText('Vous participez.')).toBeVisible();
  await expect(bob.getByText('12 rue Secrète')).toBeVisible();

  // Cléo answers too late for the only seat: she waits, and the address stays hidden.
  await cleo.goto(url(eventPath));
  await cleo.getByRole('button', { name: "J'y vais" }).click();
  await expect(cleo.getByText(/Vous êtes en liste d'attente \(position 1\)/)).toBeVisible();
  await expect(cleo.getByText('12 rue Secrète')).toHaveCount(0);
  expect(await (await cleo.request.get(url(`/api${eventPath}/calendar.ics`))).text()).not.toContain('Secrète');
  // Nor can she open the organizers' page.
  expect((await cleo.goto(url(`${eventPath}/manage`)))?.status()).toBe(403);

  // On the spot, Olga checks Bob in and counts one passer-by without an account.
  await olga.goto(url(`${eventPath}/manage`));
  await olga.getByRole('button', { name: 'Marquer Bob Vert présent·e' }).click();
  await expect(olga.getByText('Présent·es : 1')).toBeVisible();
  await olga.getByRole('button', { name: 'Ajouter une personne sans compte' }).click();
  await expect(olga.getByText('1 personne(s) sans compte comptée(s)')).toBeVisible();

  // Then she files the field report.
  await olga.goto(url(`${eventPath}/report`));
  await olga.getByLabel("Nombre de participant·es à l'action").fill('3');
  await olga.getByText('Autres compteurs').click();
  await olga.getByLabel('Personnes avec qui vous avez parlé').fill('12');
  await olga.getByLabel('Logement').check();
  await olga.getByLabel('Services publics').check();
  await olga.getByLabel('Ce qui a marché').fill('Beaucoup de voisin·es sont venu·es.');
  await olga.getByRole('button', { name: 'Enregistrer le compte rendu' }).click();
  await expect(olga.getByText('Compte rendu enregistré. Merci !')).toBeVisible();

  // The coordinator sees it in the totals, the concerns and the latest reports.
  await admin.goto(url('/coordination'));
  await expect(admin.getByRole('heading', { name: 'Coordination', level: 1 })).toBeVisible();
  await expect(admin.getByRole('link', { name: 'Réunion de quartier discrète' })).toBeVisible();
  await expect(admin.getByText('Logement').first()).toBeVisible();
  await expect(admin.getByText('Paris 11e Arrondissement').first()).toBeVisible();
  await expect(admin.getByText('Beaucoup de voisin·es sont venu·es.')).toBeVisible();
  // Members who are not coordinators are refused.
  expect((await bob.goto(url('/coordination')))?.status()).toBe(403);
});
