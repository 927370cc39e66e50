// Chat in a real browser, on phones (390 × 844), three members of a group:
//   - Ana and Ben talk in the group's main room, each in a browser context of their own; Ben sees
//     Ana typing;
//   - Ben's phone goes offline: the page says so; Ana sends three messages; Ben writes one while
//     offline (shown as "sending…"); back online, Ben sees Ana's three in order, once each, and
//     his own goes out — Ana sees it once;
//   - Ben's unread badge counts a new message live, and clears once he reads it;
//   - reply, reaction, edit and delete, live on the other phone;
//   - a read-only channel: members read it, only organizers write;
//   - the organizer removes Ben from the group: Ben's open room says at once that he no longer
//     has access, and he can no longer write (no reload), nor does he see what follows.
// And between two friends, one of them without JavaScript: a conversation opened from a profile,
// plain forms that post (a translated error for an empty message), search, a reaction; a
// private conversation started from the messages page; a long conversation read backwards; an
// action's discussion, for its organizer and confirmed participants; a picture.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { signUpInBrowser } from '../helpers/browser.ts';
import { eventInput } from '../helpers/events.ts';
import sharp from 'sharp';

let smtp: TestSmtp;
let instance: Instance;

test.beforeAll(async () => {
  smtp = await startSmtp();
  instance = await startInstance({ name: 'e2e-chat', env: { SMTP_URL: smtp.url, ALLOW_PRIVATE_ADDRESS: 'false' } });
});

test.afterAll(async () => {
  await instance?.stop();
  await smtp?.close();
});

const url = (path: string) => new URL(path, instance.url).href;
const member = (browser: Browser, email: string, name: string) => signUpInBrowser(browser, instance.url, smtp, email, name, '75020');

/** The room page once its chat client runs (hydrated, socket connected). */
const live = (page: Page) => expect(page.getByTestId('chat-room')).toHaveAttribute('data-live', 'true');
const composer = (page: Page) => page.getByRole('textbox', { name: 'Votre message' });
const say = async (page: Page, text: string) => {
  await composer(page).fill(text);
  await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
};
/** The stored messages' texts, in the order shown. */
const texts = (page: Page) => page.getByTestId('chat-message').locator('.msg-body').allInnerTexts();
const message = (page: Page, text: string) => page.getByTestId('chat-message').filter({ hasText: text });

test('a group room: live messages, an offline phone that catches up and sends, removal closes the room at once', async ({ browser }) => {
  test.setTimeout(120_000);
  const olga = await member(browser, 'olga@example.org', 'Olga Orga');
  const ana = await member(browser, 'ana@example.org', 'Ana Rouge');
  const ben = await member(browser, 'ben@example.org', 'Ben Vert');

  // Olga's open group; Ana and Ben join it.
  await olga.goto(url('/groups/new'));
  await olga.getByLabel('Nom du groupe').fill('Comité Chat');
  await olga.getByLabel('Code postal').fill('75020');
  await olga.getByRole('button', { name: 'Créer un groupe' }).click();
  await expect(olga).toHaveURL(/\/g\/comite_chat/);
  for (const m of [ana, ben]) {
    await m.goto(url('/g/comite_chat'));
    await m.getByRole('button', { name: 'Rejoindre' }).click();
    await expect(m.getByText('Vous êtes', { exact: false })).toBeVisible();
  }

  // Ana opens the group's discussion from its page; Ben from his conversations.
  await ana.goto(url('/g/comite_chat'));
  const discussion = ana.getByRole('region', { name: 'Discussion' });
  await discussion.getByRole('link', { name: 'Salon principal' }).click();
  await expect(ana.getByRole('heading', { name: 'Comité Chat' })).toBeVisible();
  await live(ana);
  const roomPath = new URL(ana.url()).pathname;
  expect(roomPath).toMatch(/^\/chat\/\w+$/);

  await ben.goto(url('/chat'));
  await ben.getByRole('link', { name: /Comité Chat/ }).click();
  await expect(ben).toHaveURL(new RegExp(`${roomPath}$`));
  await live(ben);

  await say(ana, 'Bonjour Ben, tu es là ?');
  await expect(message(ben, 'Bonjour Ben, tu es là ?')).toBeVisible();
  await say(ben, 'Oui !');
  await expect(message(ana, 'Oui !')).toBeVisible();
  // Typing shows on the other phone (never stored), and goes with the message.
  await composer(ana).fill('On se voit ce soir ?');
  await expect(ben.getByText('Ana Rouge écrit…')).toBeVisible();
  await ana.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await expect(message(ben, 'On se voit ce soir ?')).toBeVisible();
  await expect(ben.getByText('Ana Rouge écrit…')).toHaveCount(0);

  // Ben's phone loses the network.
  await ben.context().setOffline(true);
  await expect(ben.getByTestId('chat-offline')).toHaveText('Hors ligne — les messages seront envoyés au retour de la connexion.');
  for (const text of ['Rendez-vous à 18 h', 'devant la mairie', 'avec les tracts']) {
    await say(ana, text);
    await expect(message(ana, text)).toBeVisible();
  }
  await expect(ana.getByTestId('chat-pending')).toHaveCount(0);
  // Ben writes meanwhile: shown at once, as waiting to be sent.
  await say(ben, 'Je suis dans le métro');
  const waiting = ben.getByTestId('chat-pending').filter({ hasText: 'Je suis dans le métro' });
  await expect(waiting).toContainText('Envoi…');
  await ben.waitForTimeout(1000); // time enough for a live message or a send to go through, were it online
  await expect(waiting).toContainText('Envoi…');
  await expect(message(ben, 'Rendez-vous à 18 h')).toHaveCount(0);

  // Back online: Ana's three in order, once each; Ben's own goes out, once.
  await ben.context().setOffline(false);
  await expect(ben.getByTestId('chat-offline')).toHaveCount(0);
  await expect(message(ben, 'avec les tracts')).toBeVisible();
  await expect(message(ben, 'Je suis dans le métro')).toBeVisible();
  await expect(ben.getByTestId('chat-pending')).toHaveCount(0);
  expect(await texts(ben)).toEqual(['Bonjour Ben, tu es là ?', 'Oui !', 'On se voit ce soir ?', 'Rendez-vous à 18 h', 'devant la mairie', 'avec les tracts', 'Je suis dans le métro']);
  await expect(message(ana, 'Je suis dans le métro')).toHaveCount(1);
  expect(await texts(ana)).toEqual(await texts(ben));

  // Ben looks at his conversations: a new message counts live, and reading clears it.
  await ben.goto(url('/chat'));
  await expect(ben.getByTestId('chat-unread-count')).toHaveCount(0);
  await say(ana, 'Tu prends les affiches ?');
  await expect(ben.getByTestId('chat-unread-count')).toHaveText('1');
  await expect(ben.getByTestId('room-unread')).toContainText('1');
  await ben.getByRole('link', { name: /Comité Chat/ }).click();
  await live(ben);
  await expect(message(ben, 'Tu prends les affiches ?')).toBeVisible();
  await expect(ben.getByTestId('chat-unread-count')).toHaveCount(0);

  // Reply, reaction, edit, delete: live on the other phone.
  await message(ben, 'Tu prends les affiches ?').locator('summary').first().click();
  await message(ben, 'Tu prends les affiches ?').getByRole('link', { name: 'Répondre' }).click();
  await expect(ben.getByText('En réponse à Ana Rouge')).toBeVisible();
  await say(ben, 'Oui, et la colle');
  await expect(message(ana, 'Oui, et la colle')).toContainText('Ana Rouge : Tu prends les affiches ?');

  const mine = message(ana, 'Oui, et la colle');
  await mine.locator('summary').first().click();
  await mine.getByRole('group', { name: 'Réagir' }).getByRole('button', { name: '✊' }).click();
  await expect(message(ben, 'Oui, et la colle').getByRole('button', { name: /✊ : 1/ })).toBeVisible();

  const typo = message(ana, 'devant la mairie');
  await typo.locator('summary').first().click();
  await typo.getByText('Modifier', { exact: true }).click();
  await typo.getByRole('textbox', { name: 'Modifier le message' }).fill('devant la mairie du 20e');
  await typo.getByRole('button', { name: 'Enregistrer' }).click();
  await expect(message(ben, 'devant la mairie du 20e')).toContainText('(modifié)');

  const gone = message(ana, 'Rendez-vous à 18 h');
  await gone.locator('summary').first().click();
  ana.once('dialog', (d) => void d.accept());
  await gone.getByRole('button', { name: 'Supprimer' }).click();
  await expect(ben.getByTestId('chat-message').filter({ hasText: 'Message supprimé' })).toHaveCount(1);
  await expect(message(ben, 'Rendez-vous à 18 h')).toHaveCount(0);

  // Search within the room; too short a search is answered with the API's translated error.
  await ana.locator('summary', { hasText: 'Chercher dans la conversation' }).click();
  await ana.getByRole('searchbox').fill('m');
  await ana.getByRole('button', { name: 'Chercher', exact: true }).click();
  await expect(ana.getByRole('alert').filter({ hasText: 'Cherchez au moins deux lettres.' })).toBeVisible();
  await ana.getByRole('searchbox').fill('MAIRIE 20e');
  await ana.getByRole('button', { name: 'Chercher', exact: true }).click();
  await expect(ana.getByText('1 message(s) trouvé(s)')).toBeVisible();

  // A PDF and a picture, attached from the phone: the other side gets the picture and the link.
  await ben.getByLabel('Joindre des images ou un PDF').setInputFiles([
    { name: 'tract-samedi.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n') },
  ]);
  await composer(ben).fill('Le tract à imprimer');
  await ben.getByRole('button', { name: 'Envoyer' }).click();
  await expect(message(ana, 'Le tract à imprimer').getByRole('link', { name: /tract-samedi\.pdf/ })).toBeVisible();

  // Olga adds a read-only channel: members read it, only organizers write in it.
  await olga.goto(url('/g/comite_chat'));
  await olga.getByText('Ajouter un salon').click();
  await olga.getByLabel('Nom du salon').fill('Annonces');
  await olga.getByLabel(/Lecture seule/).check();
  await olga.getByRole('button', { name: 'Créer le salon' }).click();
  await expect(olga.getByRole('region', { name: 'Discussion' }).getByRole('link', { name: 'Annonces' })).toBeVisible();
  await ana.goto(url('/g/comite_chat'));
  await ana.getByRole('region', { name: 'Discussion' }).getByRole('link', { name: 'Annonces' }).click();
  await expect(ana.getByRole('heading', { name: 'Annonces' })).toBeVisible();
  await expect(ana.getByTestId('chat-cannot-post')).toHaveText('Dans ce salon, seul·es les organisateur·rices écrivent.');
  await expect(composer(ana)).toHaveCount(0);
  await ana.goto(url(roomPath));
  await live(ana);

  // Olga removes Ben from the group: his open room closes at once, without a reload.
  await olga.goto(url('/g/comite_chat/manage'));
  await olga.getByRole('listitem').filter({ hasText: 'Ben Vert' }).getByRole('button', { name: 'Retirer du groupe' }).click();
  await expect(olga.getByRole('listitem').filter({ hasText: 'Ben Vert' })).toHaveCount(0);
  await expect(ben.getByTestId('chat-lost')).toContainText('Vous n’avez plus accès à cette conversation.');
  await expect(composer(ben)).toHaveCount(0);
  await say(ana, 'Ben ne lit plus ceci');
  await expect(message(ana, 'Ben ne lit plus ceci')).toBeVisible();
  await ben.waitForTimeout(500);
  await expect(message(ben, 'Ben ne lit plus ceci')).toHaveCount(0);
  expect((await ben.request.get(url(`/api${roomPath.replace('/chat/', '/chat/rooms/')}`))).status()).toBe(404);
});

test('between friends, one phone without JavaScript: a conversation from a profile, plain forms, search', async ({ browser }) => {
  test.setTimeout(90_000);
  const cleo = await member(browser, 'cleo@example.org', 'Cléo Noire');
  const dan = await member(browser, 'dan@example.org', 'Dan Bleu');
  await cleo.goto(url('/@dan_bleu'));
  await cleo.getByRole('button', { name: 'Demander en ami·e' }).click();
  await expect(cleo.getByText('Demande envoyée')).toBeVisible();
  await dan.goto(url('/@cleo_noire'));
  await dan.getByRole('button', { name: 'Accepter' }).click();
  await dan.getByRole('button', { name: 'Envoyer un message' }).click();
  await expect(dan.getByRole('heading', { name: 'Cléo Noire' })).toBeVisible();
  await live(dan);
  const roomPath = new URL(dan.url()).pathname;

  // Cléo, on a phone without JavaScript, finds the conversation among hers.
  const context = await browser.newContext({ storageState: await cleo.context().storageState(), javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto(url('/chat'));
  await plain.getByRole('link', { name: /Dan Bleu/ }).click();
  await expect(plain).toHaveURL(new RegExp(`${roomPath}$`));
  await plain.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await expect(plain.getByRole('alert').filter({ hasText: 'Écrivez un message.' })).toBeVisible();
  await composer(plain).fill('Salut, sans JavaScript');
  await plain.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await expect(message(plain, 'Salut, sans JavaScript')).toBeVisible();
  await expect(message(dan, 'Salut, sans JavaScript')).toHaveCount(1);

  await say(dan, 'Bien reçu, à jeudi');
  await plain.reload();
  await expect(message(plain, 'Bien reçu, à jeudi')).toBeVisible();
  await plain.locator('summary', { hasText: 'Chercher dans la conversation' }).click();
  await plain.getByRole('searchbox').fill('RECU jeudi');
  await plain.getByRole('button', { name: 'Chercher', exact: true }).click();
  await expect(plain.getByText('1 message(s) trouvé(s)')).toBeVisible();
  // A reaction through the plain form: Dan sees it live.
  const line = message(plain, 'Bien reçu, à jeudi');
  await line.locator('summary').first().click();
  await line.getByRole('group', { name: 'Réagir' }).getByRole('button', { name: '🎉' }).click();
  await expect(message(dan, 'Bien reçu, à jeudi').getByRole('button', { name: /🎉 : 1/ })).toBeVisible();
  await context.close();

  // Dan starts a conversation with several people (here, his one friend), named.
  await dan.goto(url('/chat'));
  await dan.getByLabel('Nom de la conversation').fill('Collage jeudi');
  await dan.getByRole('group', { name: 'Avec qui ?' }).getByLabel('Cléo Noire').check();
  await dan.getByRole('button', { name: 'Créer la conversation' }).click();
  await expect(dan.getByRole('heading', { name: 'Collage jeudi' })).toBeVisible();
  await expect(dan.getByText('Membres : vous, Cléo Noire')).toBeVisible();
  await live(dan);
  await say(dan, 'On se retrouve où ?');
  await cleo.goto(url('/chat'));
  await expect(cleo.getByRole('link', { name: /Collage jeudi/ })).toBeVisible();
  // Dan's page is open: his friend sees him online (presence is never stored).
  await expect(cleo.getByRole('link', { name: /Dan Bleu/ }).getByTestId('online')).toHaveText('en ligne');
  await expect(cleo.getByTestId('chat-unread-count')).toHaveText('2');

  // A long conversation: the latest page first, older ones as Cléo scrolls up, each message once.
  const collage = new URL(dan.url()).pathname.replace('/chat/', '');
  for (let i = 1; i <= 55; i++) {
    const res = await dan.request.post(url(`/api/chat/rooms/${collage}/messages`), { data: { clientId: `seed${String(i).padStart(6, '0')}`, body: `Ligne ${i}` } });
    expect(res.status()).toBe(201);
  }
  await cleo.getByRole('link', { name: /Collage jeudi/ }).click();
  await live(cleo);
  await expect(message(cleo, 'Ligne 55')).toBeVisible();
  await expect(cleo.getByTestId('chat-message')).toHaveCount(50);
  await cleo.evaluate(() => window.scrollTo(0, 0));
  await expect(cleo.getByText('Début de la conversation')).toBeVisible();
  const all = await texts(cleo);
  expect(all).toEqual(['On se retrouve où ?', ...Array.from({ length: 55 }, (_, i) => `Ligne ${i + 1}`)]);

  // Without JavaScript, older pages are links.
  const plainAgain = await browser.newContext({ storageState: await cleo.context().storageState(), javaScriptEnabled: false });
  const old = await plainAgain.newPage();
  await old.goto(url(`/chat/${collage}`));
  await expect(old.getByTestId('chat-message')).toHaveCount(50);
  await old.getByRole('link', { name: 'Messages plus anciens' }).click();
  expect(await texts(old)).toEqual(['On se retrouve où ?', ...Array.from({ length: 5 }, (_, i) => `Ligne ${i + 1}`)]);
  await old.getByRole('link', { name: 'Revenir aux derniers messages' }).click();
  await expect(message(old, 'Ligne 55')).toBeVisible();
  await plainAgain.close();

  // Text typed before the page's scripts arrive is kept, and sent once they run.
  let release!: () => void;
  const typed = new Promise<void>((r) => (release = r));
  await cleo.route('**/_app/immutable/**', async (route) => {
    await typed;
    await route.continue();
  });
  await cleo.goto(url(`/chat/${collage}`), { waitUntil: 'commit' });
  await composer(cleo).fill('Tapé sur un téléphone lent');
  release();
  await live(cleo);
  await expect(composer(cleo)).toHaveValue('Tapé sur un téléphone lent');
  await cleo.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await expect(message(dan, 'Tapé sur un téléphone lent')).toHaveCount(1);
  await cleo.unroute('**/_app/immutable/**');

  // Cléo leaves the named conversation from its settings; Dan sees her gone.
  await cleo.goto(url(`/chat/${collage}`));
  await cleo.locator('summary', { hasText: 'Réglages de la conversation' }).click();
  await cleo.getByRole('button', { name: 'Quitter' }).click();
  await expect(cleo).toHaveURL(/\/chat$/);
  await expect(cleo.getByRole('link', { name: /Collage jeudi/ })).toHaveCount(0);
  await dan.goto(url(`/chat/${collage}`));
  await expect(dan.getByText('Membres : vous')).toBeVisible();
  // Dan adds her back, from his friends.
  await dan.locator('summary', { hasText: 'Réglages de la conversation' }).click();
  await dan.getByLabel('Ajouter un·e ami·e').selectOption({ label: 'Cléo Noire' });
  await dan.getByRole('button', { name: 'Ajouter', exact: true }).click();
  await expect(dan.getByText('Membres : vous, Cléo Noire')).toBeVisible();

  // An action's discussion: for its organizer and its confirmed participants only.
  const created = await dan.request.post(url('/api/events'), { data: eventInput({ title: 'Collage au marché' }) });
  expect(created.status()).toBe(201);
  const eventPath = `/events/${(await created.json()).id}`;
  await cleo.goto(url(eventPath));
  await expect(cleo.getByRole('link', { name: 'Discussion' })).toHaveCount(0);
  await cleo.getByRole('button', { name: "J'y vais" }).click();
  await expect(cleo.getByText('Vous participez.')).toBeVisible();
  await cleo.getByRole('link', { name: 'Discussion' }).click();
  await expect(cleo.getByRole('heading', { name: 'Collage au marché' })).toBeVisible();
  await live(cleo);
  await say(cleo, 'J’apporte la colle');
  await dan.goto(url(eventPath));
  await dan.getByRole('link', { name: 'Discussion' }).click();
  await expect(message(dan, 'J’apporte la colle')).toBeVisible();
  await live(dan);

  // A picture sent through the API (multipart) shows live, described.
  const eventRoom = new URL(dan.url()).pathname.replace('/chat/', '');
  const picture = await sharp({ create: { width: 12, height: 8, channels: 3, background: '#9f1d2b' } }).png().toBuffer();
  const withPicture = await dan.request.post(url(`/api/chat/rooms/${eventRoom}/messages`), {
    multipart: { clientId: 'picture0001', body: 'Le plan du marché', image0: { name: 'plan.png', mimeType: 'image/png', buffer: picture } },
  });
  expect(withPicture.status()).toBe(201);
  await expect(message(dan, 'Le plan du marché').getByRole('img', { name: 'Photo envoyée par Dan Bleu' })).toBeVisible();
});
