// Outgoing email. Services call send() inside their transaction: the mail row and its queue job
// commit (or roll back) with the action. A worker delivers it over SMTP when SMTP_URL is set;
// otherwise the mail is kept, printed to the log and shown to the admin at /admin/outbox, so that
// a fresh instance works without a mail server.
import { and, desc, eq, lt, or } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Database, Schema } from '../db/client.ts';
import type { DbMessageQueue } from '../queue/db-queue.ts';
import { type Actor, requireRole } from '../accounts/actor.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';
import { newId } from '../accounts/secrets.ts';
import { type MailParams, type MailTemplate, renderMail } from './templates.ts';

export type MailRow = Schema['mails']['$inferSelect'];

export interface OutgoingMail {
  to: string;
  userId?: string | null;
  template: MailTemplate;
  params: MailParams;
  locale: Locale;
  /** A file to attach (an event's calendar entry). */
  attachment?: { name: string; type: string; content: string } | null;
}

export interface Logger {
  info(message: string, props?: Record<string, unknown>): void;
  warn(message: string, props?: Record<string, unknown>): void;
  error(message: string, props?: Record<string, unknown>): void;
}

const KEEP_DAYS = 7;

export class MailService {
  readonly #db: Database;
  readonly #queue: DbMessageQueue;
  readonly #transport: Transporter | null;
  readonly #from: () => Promise<string>;
  readonly #instanceName: () => Promise<string>;
  readonly #log: Logger;

  constructor(deps: {
    db: Database;
    queue: DbMessageQueue;
    smtpUrl: string | null;
    from: () => Promise<string>;
    instanceName: () => Promise<string>;
    log: Logger;
  }) {
    this.#db = deps.db;
    this.#queue = deps.queue;
    this.#transport = deps.smtpUrl ? nodemailer.createTransport(deps.smtpUrl) : null;
    this.#from = deps.from;
    this.#instanceName = deps.instanceName;
    this.#log = deps.log;
  }

  get smtpConfigured(): boolean {
    return this.#transport !== null;
  }

  /** Renders and queues a mail (joins the caller's transaction). */
  async send(mail: OutgoingMail): Promise<void> {
    // People of other servers are rows with a reserved, undeliverable address (decision 0017).
    if (/@remote\.invalid$/i.test(mail.to)) return;
    const rendered = renderMail(mail.template, mail.params, mail.locale, await this.#instanceName());
    const id = newId();
    const { mails } = this.#db.t;
    await this.#db.tx(async () => {
      await this.#db.w.insert(mails).values({
        id,
        toAddress: mail.to,
        userId: mail.userId ?? null,
        template: mail.template,
        subject: rendered.subject,
        textBody: rendered.text,
        htmlBody: rendered.html,
        listUnsubscribe: mail.params.unsubscribe ?? null,
        attachmentName: mail.attachment?.name ?? null,
        attachmentType: mail.attachment?.type ?? null,
        attachment: mail.attachment?.content ?? null,
        status: 'queued',
        createdAt: new Date(),
      });
      await this.#queue.enqueue({ mailId: id });
    });
  }

  /** Delivers one queued mail (queue handler). Throws on SMTP failure so the queue retries. */
  async deliver(mailId: string): Promise<void> {
    const { mails } = this.#db.t;
    const row = (await this.#db.q.select().from(mails).where(eq(mails.id, mailId)))[0];
    if (!row || row.status !== 'queued') return; // erased meanwhile, or already handled
    if (!this.#transport) {
      this.#log.info(`mail kept (no SMTP_URL) to ${row.toAddress}: ${row.subject}\n${row.textBody}`);
      await this.#db.tx(() => this.#db.w.update(mails).set({ status: 'kept' }).where(eq(mails.id, mailId)));
      return;
    }
    try {
      await this.#transport.sendMail({
        from: await this.#from(),
        to: row.toAddress,
        subject: row.subject,
        text: row.textBody,
        html: row.htmlBody,
        ...(row.attachment && row.attachmentName
          ? { attachments: [{ filename: row.attachmentName, content: row.attachment, contentType: row.attachmentType ?? 'application/octet-stream' }] }
          : {}),
        // One-click unsubscribe (RFC 8058): mail clients POST to the link.
        ...(row.listUnsubscribe
          ? { list: { unsubscribe: { url: row.listUnsubscribe, comment: 'unsubscribe' } }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
          : {}),
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.#db.tx(() =>
        this.#db.w
          .update(mails)
          .set({ attempts: row.attempts + 1, lastError: message.slice(0, 500), status: row.attempts + 1 >= 8 ? 'failed' : 'queued' })
          .where(eq(mails.id, mailId)),
      );
      this.#log.warn(`mail to ${row.toAddress} failed: ${message}`);
      if (row.attempts + 1 < 8) throw e;
      return;
    }
    // Sent: keep the envelope for the admin, drop the body (it may hold a login code).
    await this.#db.tx(() =>
      this.#db.w
        .update(mails)
        .set({ status: 'sent', sentAt: new Date(), textBody: '', htmlBody: '', attachment: null, attempts: row.attempts + 1 })
        .where(eq(mails.id, mailId)),
    );
  }

  /** Runs the delivery worker until the signal aborts. */
  listen(signal: AbortSignal): Promise<void> {
    return this.#queue.listen(async (message: { mailId?: unknown }) => {
      if (typeof message?.mailId === 'string') await this.deliver(message.mailId);
    }, { signal });
  }

  /** The latest mails, for the admin's outbox page. */
  async outbox(actor: Actor | null, limit = 100): Promise<MailRow[]> {
    requireRole(actor, 'admin');
    const { mails } = this.#db.t;
    return this.#db.q.select().from(mails).orderBy(desc(mails.createdAt)).limit(Math.min(Math.max(1, limit), 500));
  }

  /** Deletes kept and sent mails older than a week (they may hold codes or addresses). */
  async purge(now = new Date()): Promise<number> {
    const { mails } = this.#db.t;
    const before = new Date(now.getTime() - KEEP_DAYS * 86_400_000);
    return this.#db.tx(async () =>
      (
        await this.#db.w
          .delete(mails)
          .where(and(lt(mails.createdAt, before), or(eq(mails.status, 'kept'), eq(mails.status, 'sent'), eq(mails.status, 'failed'))))
          .returning({ id: mails.id })
      ).length,
    );
  }
}
