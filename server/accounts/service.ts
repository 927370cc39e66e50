// Accounts: one-click sign-up confirmed by an emailed code or link, passwordless login, optional
// password, email change. Every answer to "is this email known?" is the same (ASVS 6.3.8): the
// caller always gets a challenge id, and only the mailbox learns what happened.
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { isLocale, type Locale } from '../../web/lib/i18n/index.ts';
import type { MailService } from '../mail/service.ts';
import type { MailTemplate } from '../mail/templates.ts';
import type { InstanceService } from '../instance/service.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { checkbox, email, parse, postalCode, text } from '../validation.ts';
import { type Actor, type RequestMeta, requireActor } from './actor.ts';
import { resolveCommune } from './commune.ts';
import { hashPassword, passwordProblem, PASSWORD_MAX, verifyPassword } from './passwords.ts';
import type { AccountsRepository, ChallengeRow, UserRow } from './repository.ts';
import { hashSecret, newCode, newId, newSecret, secretMatches } from './secrets.ts';
import type { SessionService } from './sessions.ts';
import { availableUsername } from './usernames.ts';
import { findCommune } from '../geo/communes.ts';
import { normalizeForSearch } from '../search/normalize.ts';

const CHALLENGE_TTL_MS = 10 * 60_000; // ASVS 6.5.5: out-of-band codes live at most 10 minutes
const MAX_CODE_ATTEMPTS = 5;

const signupSchema = z.object({
  email,
  displayName: text(60, 'display_name.invalid').pipe(z.string().min(1, 'display_name.invalid')),
  postalCode,
  communeCode: z.string().trim().max(5).optional().nullable(),
  consent: checkbox.refine((v) => v, 'consent.required'),
  locale: z.string().optional(),
});

const emailOnly = z.object({ email });
const codeSchema = z.object({
  challengeId: z.string().min(1, 'verify.no_challenge').max(64),
  code: z.string().trim().regex(/^\d{6}$/, 'code.invalid'),
});
const tokenSchema = z.object({ token: z.string().min(10).max(128) });
const passwordLoginSchema = z.object({ email, password: z.string().min(1, 'validation.required').max(PASSWORD_MAX * 4) });
const setPasswordSchema = z.object({
  currentPassword: z.string().max(PASSWORD_MAX * 4).optional().nullable(),
  newPassword: z.string({ error: 'validation.required' }).max(PASSWORD_MAX * 4, 'password.too_long'),
});

interface SignupData {
  displayName: string;
  postalCode: string;
  communeCode: string;
  communeName: string;
  departementCode: string;
  consentVersion: string;
  locale: Locale;
}

export interface VerifyResult {
  purpose: 'signup' | 'login' | 'email_change';
  user: UserRow;
  /** A new session token, except for an email change (the member keeps their session). */
  sessionToken: string | null;
}

export interface AccountDeps {
  db: Database;
  repo: AccountsRepository;
  sessions: SessionService;
  mail: MailService;
  instance: InstanceService;
  limits: RateLimits;
  events: EventBus;
  publicUrl: URL;
}

export class AccountService {
  readonly #d: AccountDeps;
  constructor(deps: AccountDeps) {
    this.#d = deps;
  }

  #link(token: string) {
    return new URL(`/verify?token=${token}`, this.#d.publicUrl).toString();
  }

  /** Creates a challenge and, unless it is a decoy, mails its code and link. Joins the caller's transaction. */
  async #challenge(
    purpose: ChallengeRow['purpose'],
    to: string,
    opts: { userId?: string | null; data?: object; mail?: MailTemplate | null; locale: Locale; name?: string },
  ): Promise<string> {
    const { db, repo, mail } = this.#d;
    const id = newId();
    const token = newSecret();
    const code = newCode();
    const now = new Date();
    await db.tx(async () => {
      if (purpose !== 'none') await repo.closeOpenChallenges(to, purpose, now);
      await repo.insertChallenge({
        id,
        purpose,
        email: to,
        userId: opts.userId ?? null,
        tokenHash: hashSecret(token),
        codeHash: hashSecret(code),
        data: JSON.stringify(opts.data ?? {}),
        expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
        createdAt: now,
      });
      if (opts.mail) {
        const withCode = opts.mail !== 'no_account' && opts.mail !== 'email_taken';
        await mail.send({
          to,
          userId: opts.userId ?? null,
          template: opts.mail,
          locale: opts.locale,
          params: {
            name: opts.name,
            ...(withCode ? { code, link: this.#link(token) } : {}),
            ...(opts.mail === 'no_account' ? { link: new URL('/signup', this.#d.publicUrl).toString() } : {}),
          },
        });
      }
    });
    return id;
  }

  /** Step 1 of sign-up: validates, then mails a code (or, if the email has an account, a login code). */
  async startSignup(input: unknown, meta: RequestMeta): Promise<{ challengeId: string }> {
    const v = parse(signupSchema, input);
    const instance = await this.#d.instance.view(meta.locale);
    if (!instance.registrationsOpen) throw fail.forbidden('signup.closed');
    const commune = resolveCommune(v.postalCode, v.communeCode ?? null);
    await this.#d.limits.consume(['signup:ip', meta.ip], ['signup:email', v.email]);
    const locale = isLocale(v.locale) ? v.locale : meta.locale;
    const existing = await this.#d.repo.userByEmail(v.email);
    if (existing) {
      const mail = existing.status === 'active' ? 'existing' : null;
      const challengeId = await this.#challenge(existing.status === 'active' ? 'login' : 'none', v.email, {
        userId: existing.id,
        mail,
        locale: isLocale(existing.locale) ? existing.locale : locale,
        name: existing.displayName,
      });
      return { challengeId };
    }
    const data: SignupData = {
      displayName: v.displayName,
      postalCode: v.postalCode,
      communeCode: commune.code,
      communeName: commune.name,
      departementCode: commune.departementCode,
      consentVersion: instance.consentVersion,
      locale,
    };
    const challengeId = await this.#challenge('signup', v.email, { data, mail: 'signup', locale, name: v.displayName });
    return { challengeId };
  }

  /** Passwordless login: mails a code to a known, active account; otherwise a decoy challenge. */
  async requestLoginCode(input: unknown, meta: RequestMeta): Promise<{ challengeId: string }> {
    const v = parse(emailOnly, input);
    await this.#d.limits.consume(['code-send:ip', meta.ip], ['code-send:email', v.email]);
    const user = await this.#d.repo.userByEmail(v.email);
    if (user?.status === 'active') {
      const locale = isLocale(user.locale) ? user.locale : meta.locale;
      return { challengeId: await this.#challenge('login', v.email, { userId: user.id, mail: 'login', locale, name: user.displayName }) };
    }
    const open = (await this.#d.instance.settings()).registrationsOpen;
    const mail = !user && open ? 'no_account' : null;
    return { challengeId: await this.#challenge('none', v.email, { mail, locale: meta.locale }) };
  }

  /** Step 2: a code (with the challenge id) or the emailed link's token. */
  async verify(input: unknown, meta: RequestMeta): Promise<VerifyResult> {
    const { repo, limits } = this.#d;
    await limits.consume(['code-verify:ip', meta.ip]);
    let challenge: ChallengeRow | undefined;
    if (input && typeof input === 'object' && 'token' in input) {
      const { token } = parse(tokenSchema, input);
      challenge = await repo.challengeByTokenHash(hashSecret(token));
      if (!challenge || challenge.purpose === 'none') throw fail.gone('verify.expired');
    } else {
      const v = parse(codeSchema, input);
      challenge = await repo.challengeById(v.challengeId);
      if (!challenge) throw fail.invalid({ code: 'verify.invalid' });
      const attempts = await this.#d.db.tx(() => repo.bumpChallengeAttempts(challenge!.id));
      if (attempts === null) throw fail.gone('verify.expired');
      if (attempts > MAX_CODE_ATTEMPTS) throw fail.gone('verify.too_many_attempts');
      if (!secretMatches(v.code, challenge.codeHash) || challenge.purpose === 'none') {
        throw fail.invalid({ code: 'verify.invalid' });
      }
    }
    if (challenge.consumedAt || challenge.expiresAt.getTime() <= Date.now()) throw fail.gone('verify.expired');
    const c = challenge;
    const purpose = c.purpose as VerifyResult['purpose'];
    const user = await this.#d.db.tx(async () => {
      if (!(await repo.consumeChallenge(c.id, new Date()))) throw fail.gone('verify.expired');
      if (purpose === 'signup') return this.#completeSignup(c);
      if (purpose === 'email_change') return this.#completeEmailChange(c);
      const u = c.userId ? await repo.userById(c.userId) : undefined;
      if (!u) throw fail.gone('verify.expired');
      if (u.status !== 'active') throw fail.forbidden('login.suspended');
      return u;
    });
    if (purpose === 'signup') this.#d.events.emit('user.created', { userId: user.id });
    if (purpose === 'email_change') return { purpose, user, sessionToken: null };
    const { token } = await this.#d.sessions.create(user.id, meta.userAgent);
    return { purpose, user, sessionToken: token };
  }

  async #completeSignup(c: ChallengeRow): Promise<UserRow> {
    const { repo } = this.#d;
    // The address may have been registered meanwhile (two sign-ups racing): the mailbox owner
    // proved control of it, so this is a login to that account.
    const existing = await repo.userByEmail(c.email);
    if (existing) {
      if (existing.status !== 'active') throw fail.forbidden('login.suspended');
      return existing;
    }
    const data = JSON.parse(c.data) as SignupData;
    const now = new Date();
    const username = await availableUsername(repo, data.displayName);
    const commune = findCommune(data.postalCode, data.communeCode);
    return repo.insertUser({
      id: newId(),
      username,
      searchName: normalizeForSearch(`${data.displayName} ${username}`),
      lat: commune?.lat ?? null,
      lon: commune?.lon ?? null,
      email: c.email,
      displayName: data.displayName,
      role: 'member',
      status: 'active',
      postalCode: data.postalCode,
      communeCode: data.communeCode,
      communeName: data.communeName,
      departementCode: data.departementCode,
      locale: data.locale,
      consentVersion: data.consentVersion,
      consentedAt: now,
      createdAt: now,
      updatedAt: now,
    });
  }

  async #completeEmailChange(c: ChallengeRow): Promise<UserRow> {
    const { repo, mail } = this.#d;
    const user = c.userId ? await repo.userById(c.userId) : undefined;
    if (!user) throw fail.gone('verify.expired');
    if (await repo.userByEmail(c.email)) throw fail.conflict('error.conflict'); // taken since the request
    const oldEmail = user.email;
    const updated = (await repo.updateUser(user.id, { email: c.email }))!;
    await mail.send({
      to: oldEmail,
      userId: user.id,
      template: 'email_changed',
      locale: isLocale(user.locale) ? user.locale : 'fr',
      params: { name: user.displayName, email: c.email },
    });
    return updated;
  }

  /** Password login. The same error, in the same time, for an unknown email and a wrong password. */
  async loginWithPassword(input: unknown, meta: RequestMeta): Promise<{ user: UserRow; sessionToken: string }> {
    const v = parse(passwordLoginSchema, input);
    const { repo, limits, sessions } = this.#d;
    await limits.consume(['password-login:ip', meta.ip], ['password-login:account', v.email]);
    const user = await repo.userByEmail(v.email);
    const ok = await verifyPassword(user?.passwordHash ?? null, v.password);
    if (!user || !ok) throw fail.unauthenticated('login.invalid_credentials');
    if (user.status !== 'active') throw fail.forbidden('login.suspended');
    await limits.reset('password-login:account', v.email);
    const { token } = await sessions.create(user.id, meta.userAgent);
    return { user, sessionToken: token };
  }

  /** Sets or changes the actor's password; the current one is required to change it. Ends the other sessions. */
  async setPassword(actor: Actor | null, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const v = parse(setPasswordSchema, input);
    const { repo, limits, sessions, db, mail } = this.#d;
    await limits.consume(['password-change:account', a.userId]);
    const user = await repo.userById(a.userId);
    if (!user) throw fail.unauthenticated();
    if (user.passwordHash) {
      if (!v.currentPassword) throw fail.invalid({ currentPassword: 'password.current_required' });
      if (!(await verifyPassword(user.passwordHash, v.currentPassword))) throw fail.invalid({ currentPassword: 'password.current_wrong' });
    }
    const problem = passwordProblem(v.newPassword, [user.email, user.username]);
    if (problem) throw fail.invalid({ newPassword: problem.params ? [problem.key, problem.params] : problem.key });
    const passwordHash = await hashPassword(v.newPassword);
    await db.tx(async () => {
      await repo.updateUser(user.id, { passwordHash });
      await mail.send({
        to: user.email,
        userId: user.id,
        template: 'password_changed',
        locale: isLocale(user.locale) ? user.locale : 'fr',
        params: { name: user.displayName },
      });
    });
    await sessions.endAllOf(user.id, a.sessionId);
  }

  /** Asks to move the account to another address; confirmed by a code sent there. */
  async requestEmailChange(actor: Actor | null, input: unknown, meta: RequestMeta): Promise<{ challengeId: string }> {
    const a = requireActor(actor);
    const v = parse(emailOnly, input);
    const { repo, limits } = this.#d;
    await limits.consume(['code-send:ip', meta.ip], ['code-send:email', v.email]);
    const user = await repo.userById(a.userId);
    if (!user) throw fail.unauthenticated();
    if (user.email === v.email) throw fail.invalid({ email: 'validation.invalid' });
    const locale = isLocale(user.locale) ? user.locale : meta.locale;
    const taken = await repo.userByEmail(v.email);
    const challengeId = taken
      ? await this.#challenge('none', v.email, { mail: 'email_taken', locale })
      : await this.#challenge('email_change', v.email, { userId: user.id, mail: 'email_change', locale, name: user.displayName });
    return { challengeId };
  }

  /** Whether a link token is still usable (the page shows a confirm button, never acts on GET). */
  async linkStatus(token: string): Promise<'valid' | 'expired'> {
    if (typeof token !== 'string' || token.length < 10 || token.length > 128) return 'expired';
    const c = await this.#d.repo.challengeByTokenHash(hashSecret(token));
    return c && c.purpose !== 'none' && !c.consumedAt && c.expiresAt.getTime() > Date.now() ? 'valid' : 'expired';
  }
}
