// The first administrator sets up the instance (the allow-list preselected), then blocks a server
// from the federation page and by importing a list, without JavaScript (form actions), and sees
// them listed.
import { expect, test } from '@playwright/test';
import { startInstance, type Instance } from '../helpers/instance.ts';

let instance: Instance;

test.beforeAll(async () => {
  instance = await startInstance({ name: 'e2e-federation' });
});

test.afterAll(async () => {
  await instance?.stop();
});

test.use({ javaScriptEnabled: false });

test('an administrator blocks a server from the federation page and sees it listed', async ({ page }) => {
  await page.goto(instance.setupUrl!);
  await expect(page.getByRole('radio', { name: /Seulement les instances autorisées/ })).toBeChecked();
  await page.getByLabel("Nom de l'instance").fill('Réseau de confiance');
  await page.getByLabel('Adresse e-mail').fill('admin@example.org');
  await page.getByLabel('Nom affiché').fill('Admin');
  await page.getByLabel(/Mot de passe/).fill('une instance solide');
  await page.getByRole('button', { name: "Créer le compte d'administration" }).click();

  await page.getByRole('link', { name: 'Fédération' }).click();
  await expect(page.getByRole('heading', { name: 'Politique de fédération' })).toBeVisible();
  await expect(page.getByRole('radio', { name: /Seulement les instances autorisées/ })).toBeChecked();

  await page.getByRole('textbox', { name: 'Serveur' }).fill('Spam.Example.');
  await page.getByRole('combobox', { name: 'Décision' }).selectOption('block');
  await page.getByLabel('Note (pourquoi, pour l’équipe)').fill('Harcèlement');
  await page.getByRole('button', { name: 'Enregistrer la règle' }).click();
  await expect(page.getByText('Règle enregistrée.')).toBeVisible();
  const row = page.getByRole('row', { name: /spam\.example/ });
  await expect(row).toContainText('Bloquer');
  await expect(row).toContainText('Harcèlement');

  // A name that is not a server's: a translated error at the field, nothing added.
  await page.getByRole('textbox', { name: 'Serveur' }).fill('quelqu’un@ailleurs');
  await page.getByRole('button', { name: 'Enregistrer la règle' }).click();
  await expect(page.getByText('Nom de serveur invalide')).toBeVisible();
  await expect(page.getByRole('row')).toHaveCount(2);

  // A plain list uploaded as a file: one more block.
  await page.getByLabel('Fichier à importer').setInputFiles({ name: 'blocks.txt', mimeType: 'text/plain', buffer: Buffer.from('# shared list\nworse.example\n') });
  await page.getByRole('button', { name: 'Importer', exact: true }).click();
  await expect(page.getByText('Import terminé : 1 règle(s) ajoutée(s)')).toBeVisible();
  await expect(page.getByRole('row', { name: /worse\.example/ })).toContainText('Bloquer');
});
