// Administration of accounts: the one-time setup of the first administrator, the member list,
// roles and suspension. Who may do what:
//   - roles: administrators only; the instance always keeps one active administrator;
//   - suspension: administrators (anyone but themselves) and moderators (members only).
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import type { InstanceService } from '../instance/service.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { checkbox, email, parse, text } from '../validation.ts';
import { type Actor, type RequestMeta, requireRole, type UserRole } from './actor.ts';
import { hashPassword, PASSWORD_MAX, passwordProblem } from './passwords.ts';
import type { AccountsRepository, UserRow } from './repository.ts';
import { newId } from './secrets.ts';
import type { SessionService } from './sessions.ts';
import { availableUsername } from './usernames.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import type { FederationPolicy } from '../federation/policy.ts';

const setupSchema = z.object({
  token: z.string().max(128),
  instanceName: text(80).pipe(z.string().min(1, 'validation.required')),
  email,
  displayName: text(60, 'display_name.invalid').pipe(z.string().min(1, 'display_name.invalid')),
  password: z.string({ error: 'validation.required' }).max(PASSWORD_MAX * 4, 'password.too_long'),
  // The default: a movement's network of trusted instances, opened server by server.
  federationMode: z.enum(['open', 'allowlist'], { error: 'federation.mode_invalid' }).optional().default('allowlist'),
});

const listSchema = z.object({
  search: z.string().trim().max(100).optional().default(''),
  page: z.coerce.number().int().min(1).max(10_000).optional().default(1),
});

const roleSchema = z.object({ role: z.enum(['admin', 'moderator', 'member'], { error: 'validation.invalid' }) });
const statusSchema = z.object({ status: z.enum(['active', 'suspended'], { error: 'validation.invalid' }) });
const coordinatorSchema = z.object({ coordinator: checkbox });

export interface AdminUserView {
  id: string;
  username: string;
  displayName: string;
  email: string;
  role: UserRole;
  /** Reads the field reports of the whole instance. */
  coordinator: boolean;
  status: 'active' | 'suspended';
  createdAt: Date;
}

const PAGE_SIZE = 50;

export class AdminService {
  readonly #db: Database;
  readonly #repo: AccountsRepository;
  readonly #sessions: SessionService;
  readonly #instance: InstanceService;
  readonly #limits: RateLimits;
  readonly #events: EventBus;
  readonly #policy: Pick<FederationPolicy, 'writeMode'>;

  constructor(deps: {
    db: Database;
    repo: AccountsRepository;
    sessions: SessionService;
    instance: InstanceService;
    limits: RateLimits;
    events: EventBus;
    policy: Pick<FederationPolicy, 'writeMode'>;
  }) {
    this.#db = deps.db;
    this.#repo = deps.repo;
    this.#sessions = deps.sessions;
    this.#instance = deps.instance;
    this.#limits = deps.limits;
    this.#events = deps.events;
    this.#policy = deps.policy;
  }

  /** Whether the instance still waits for its first administrator. */
  async needsSetup(): Promise<boolean> {
    return (await this.#repo.countActiveAdmins()) === 0;
  }

  /** Creates the first administrator with the one-time setup token; logs them in. */
  async setup(input: unknown, meta: RequestMeta): Promise<{ user: UserRow; sessionToken: string }> {
    await this.#limits.consume(['setup:ip', meta.ip]);
    const v = parse(setupSchema, input);
    const problem = passwordProblem(v.password, [v.email]);
    if (problem) throw fail.invalid({ password: problem.params ? [problem.key, problem.params] : problem.key });
    const passwordHash = await hashPassword(v.password);
    const user = await this.#db.tx(async () => {
      await this.#instance.consumeSetupToken(v.token);
      if ((await this.#repo.countActiveAdmins()) > 0) throw fail.gone('setup.invalid_token');
      await this.#policy.writeMode(v.federationMode);
      const existing = await this.#repo.userByEmail(v.email);
      if (existing) return (await this.#repo.updateUser(existing.id, { role: 'admin', status: 'active', passwordHash }))!;
      const now = new Date();
      const username = await availableUsername(this.#repo, v.displayName);
      return this.#repo.insertUser({
        id: newId(),
        username,
        searchName: normalizeForSearch(`${v.displayName} ${username}`),
        email: v.email,
        displayName: v.displayName,
        passwordHash,
        role: 'admin',
        locale: meta.locale,
        createdAt: now,
        updatedAt: now,
      });
    });
    await this.#instance.setName(v.instanceName);
    this.#events.emit('user.created', { userId: user.id });
    const { token } = await this.#sessions.create(user.id, meta.userAgent);
    return { user, sessionToken: token };
  }

  /** Members, newest first (administrators only: the list holds email addresses). */
  async listUsers(actor: Actor | null, input: unknown): Promise<{ users: AdminUserView[]; page: number; more: boolean }> {
    requireRole(actor, 'admin');
    const v = parse(listSchema, input ?? {});
    const rows = await this.#repo.listUsers({ search: v.search, limit: PAGE_SIZE + 1, offset: (v.page - 1) * PAGE_SIZE });
    return {
      users: rows.slice(0, PAGE_SIZE).map((u) => ({
        id: u.id,
        username: u.username,
        displayName: u.displayName,
        email: u.email,
        role: u.role,
        coordinator: u.coordinator,
        status: u.status,
        createdAt: u.createdAt,
      })),
      page: v.page,
      more: rows.length > PAGE_SIZE,
    };
  }

  /** Changes a member's role (administrators only). */
  async setRole(actor: Actor | null, userId: string, input: unknown): Promise<void> {
    requireRole(actor, 'admin');
    const { role } = parse(roleSchema, input);
    await this.#db.tx(async () => {
      const target = await this.#repo.userById(String(userId));
      if (!target) throw fail.notFound();
      if (target.role === 'admin' && role !== 'admin' && target.status === 'active' && (await this.#repo.countActiveAdmins()) <= 1) {
        throw fail.conflict('admin.last_admin');
      }
      await this.#repo.updateUser(target.id, { role });
    });
    this.#events.emit('user.updated', { userId });
  }

  /** Makes a member a coordinator (they read every field report) or not (administrators only). */
  async setCoordinator(actor: Actor | null, userId: string, input: unknown): Promise<void> {
    requireRole(actor, 'admin');
    const { coordinator } = parse(coordinatorSchema, input);
    await this.#db.tx(async () => {
      if (!(await this.#repo.updateUser(String(userId), { coordinator }))) throw fail.notFound();
    });
    this.#events.emit('user.updated', { userId });
  }

  /** Suspends or reactivates a member. Suspension ends all their sessions at once. */
  async setStatus(actor: Actor | null, userId: string, input: unknown): Promise<void> {
    const a = requireRole(actor, 'admin', 'moderator');
    const { status } = parse(statusSchema, input);
    if (a.userId === userId) throw fail.forbidden('admin.cannot_self');
    await this.#db.tx(async () => {
      const target = await this.#repo.userById(String(userId));
      if (!target) throw fail.notFound();
      if (a.role === 'moderator' && target.role !== 'member') throw fail.forbidden();
      await this.#repo.updateUser(target.id, { status });
    });
    if (status === 'suspended') {
      await this.#sessions.endAllOf(userId);
      this.#events.emit('user.suspended', { userId });
    }
    this.#events.emit('user.updated', { userId });
  }
}
