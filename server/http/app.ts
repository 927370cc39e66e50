// The Express application, in the order of the design: security and internal headers, the
// Fedify bridge (before any body parser), the JSON API, uploads, then the web app (mounted by
// the caller). socket.io attaches to the same http.Server beside it.
import express, { type NextFunction, type Request, type Response } from 'express';
import { getLogger } from '@logtape/logtape';
import { AppError, isAppError, toProblem } from '../errors.ts';
import { t } from '../../web/lib/i18n/index.ts';
import { escapeHtml } from '../html.ts';
import { MediaStore } from '../media/store.ts';
import type { Services } from '../services.ts';
import { accountRoutes } from '../accounts/routes.ts';
import { profileRoutes } from '../profiles/routes.ts';
import { instanceRoutes } from '../instance/routes.ts';
import { federationRoutes } from '../federation/routes.ts';
import { friendRoutes } from '../friends/routes.ts';
import { postRoutes } from '../posts/routes.ts';
import { groupRoutes } from '../groups/routes.ts';
import { notificationRoutes } from '../notifications/routes.ts';
import { searchRoutes } from '../search/routes.ts';
import { eventRoutes } from '../events/routes.ts';
import { chatRoutes } from '../chat/routes.ts';
import { authenticate, requestMeta } from './api-kit.ts';
import { federationBridge } from './bridge.ts';
import { csrfGuard, INTERNAL_HEADERS, internalHeaders, securityHeaders } from './security.ts';
import { eventDocuments, handleAs2ProfileLookup, nodeInfoLinks } from './federation-extras.ts';
import { tileProxy } from './tiles.ts';
import { remoteMediaRoute } from './remote-media.ts';

export interface HttpAppOptions {
  /** Origins besides PUBLIC_URL allowed to post (the dev server's own origin, in dev). */
  extraOrigins?: string[];
}

export function buildHttpApp(s: Services, opts: HttpAppOptions = {}) {
  const { config } = s;
  const log = getLogger(['militant', 'http']);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  app.use(internalHeaders(config.publicUrl));
  app.use(securityHeaders({ secure: config.secure }));

  // Federation first: inboxes take signed POSTs from other servers, so no CSRF check or body
  // parser may run before Fedify.
  app.get('/.well-known/nodeinfo', nodeInfoLinks(config.publicUrl));
  app.use(handleAs2ProfileLookup(s.repo, config.publicUrl));
  app.use(
    eventDocuments(async (id, signed) => {
      // Who signed: the key's owner, verified and resolved to our row (confirmed participants get the address).
      const owner = signed ? await s.federation.createContext(signed, null).getSignedKeyOwner().catch(() => null) : null;
      const viewer = owner?.id ? ((await s.actors.byUri(owner.id.href))?.id ?? null) : null;
      return s.publisher.eventDocumentOf(id, viewer);
    }, config.publicUrl),
  );
  app.use(federationBridge(s.federation, config.publicUrl, (host) => s.policy.federatesWith(host)));

  app.use(csrfGuard(config.publicUrl, opts.extraOrigins));

  const api = express.Router();
  api.use(express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }));
  api.get('/health', healthCheck(s.db));
  api.use(authenticate(s.sessions, config.secure));
  api.use(
    accountRoutes({ accounts: s.accounts, admin: s.admin, sessions: s.sessions, secure: config.secure, sessionDays: config.sessionDays }),
  );
  api.use(profileRoutes({ profiles: s.profiles, privacy: s.privacy, secure: config.secure, uploadLimitBytes: config.uploadLimitBytes }));
  api.use(instanceRoutes({ instance: s.instance, mail: s.mail }));
  api.use(federationRoutes({ remote: s.remote, instances: s.instances, policy: s.policy }));
  api.use(friendRoutes({ friends: s.friends }));
  api.use(postRoutes({ posts: s.posts, profiles: s.profiles, uploadLimitBytes: config.uploadLimitBytes }));
  api.use(groupRoutes({ groups: s.groups, posts: s.posts, uploadLimitBytes: config.uploadLimitBytes }));
  api.use(notificationRoutes({ notifications: s.notifications }));
  api.use(searchRoutes({ search: s.search }));
  api.use(eventRoutes({ services: s, uploadLimitBytes: config.uploadLimitBytes }));
  api.use(chatRoutes({ chat: s.chat, uploadLimitBytes: config.uploadLimitBytes }));
  api.use((_req, _res, next) => next(new AppError('not_found')));
  app.use('/api', api);

  // Unsubscribing from mails, without logging in: the confirm button of /unsubscribe, and mail
  // clients' one-click POST (RFC 8058, no Origin header, which SvelteKit's form check refuses).
  app.post('/unsubscribe', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    await s.notifications.unsubscribe({ ...(req.query as object), ...(req.body as object) });
    if (req.accepts(['html', 'json']) === 'html' && req.body?.confirm) res.redirect(303, '/unsubscribe?done=1');
    else res.status(204).end();
  });

  // Map tiles, fetched for the browsers (see tiles.ts).
  if (config.map.proxy && config.map.tileUrl) {
    const tiles = tileProxy(config.map, config.dataDir, `militant-network/0.1 (+${config.publicUrl.origin})`);
    app.get('/tiles/:z/:x/:y.png', async (req, res) => {
      await s.limits.consume(['tiles:ip', String(req.headers[INTERNAL_HEADERS.clientIp] ?? req.ip)]);
      await tiles(req, res);
    });
  }

  // Pictures of other servers, fetched for the browsers (see media/remote.ts); before /media,
  // which knows only our uploads.
  app.get('/media/remote/:key', remoteMediaRoute(s.remoteMedia));

  // Uploads: only names we generated, never rendered as a document of this origin.
  app.use(
    '/media',
    (req, res, next) => {
      if (!MediaStore.isKey(req.path.slice(1))) return next(new AppError('not_found'));
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      // Documents are downloaded, never shown as a page of this origin.
      if (req.path.endsWith('.pdf')) res.setHeader('Content-Disposition', 'attachment');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      next();
    },
    express.static(s.media.root, { index: false, dotfiles: 'deny', fallthrough: false, immutable: true, maxAge: '365d' }),
  );

  /** Errors of the API are JSON problems; elsewhere a short translated page. Never a stack trace. */
  const errorHandler = (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = normalise(err);
    if (!isAppError(e)) log.error('unexpected error on {method} {path}: {error}', { method: req.method, path: req.path, error: err });
    const { locale } = requestMeta(req);
    const problem = toProblem(e, locale);
    if (problem.retryAfter) res.setHeader('Retry-After', String(problem.retryAfter));
    res.setHeader('Cache-Control', 'no-store');
    if (req.path.startsWith('/api/') || req.path === '/api' || req.accepts(['html', 'json']) === 'json') {
      res.status(problem.status).json(problem.body);
      return;
    }
    res
      .status(problem.status)
      .type('html')
      .send(
        `<!doctype html><html lang="${locale}"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${t(locale, 'error.page_title', { status: problem.status })}</title><body style="font-family:system-ui;max-width:32em;margin:3em auto;padding:0 1em"><h1>${t(locale, 'error.page_title', { status: problem.status })}</h1><p>${escapeHtml(problem.body.message)}</p><p><a href="/">${t(locale, 'error.back_home')}</a></p></body></html>`,
      );
  };

  return { app, errorHandler };
}

/** 200 when the database answers, 503 otherwise (load balancers and container health checks). */
export function healthCheck(db: Services['db']) {
  return async (_req: Request, res: Response) => {
    try {
      await db.ping();
      res.json({ ok: true });
    } catch {
      res.status(503).json({ ok: false });
    }
  };
}

/** Errors thrown by Express' own body parsers and static middleware, as our error kinds. */
function normalise(err: unknown): unknown {
  if (isAppError(err)) return err;
  const e = err as { type?: string; status?: number; statusCode?: number };
  if (e?.type === 'entity.parse.failed') return new AppError('invalid_input', { message: 'error.malformed_json' });
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError('unsupported_media_type');
  const status = e?.status ?? e?.statusCode;
  if (status === 404) return new AppError('not_found');
  if (status === 400) return new AppError('invalid_input');
  return err;
}
