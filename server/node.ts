// Boot of one node: config → database (migrated) → services → federation → HTTP + socket.io →
// web app → workers. Used by server/main.ts and by the tests, which start real nodes.
import { createServer, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Server as IoServer } from 'socket.io';
import { Redis } from 'ioredis';
import { getLogger } from '@logtape/logtape';
import type { Config } from './config.ts';
import { openDatabase } from './db/client.ts';
import { buildServices, type Services } from './services.ts';
import { buildHttpApp, healthCheck } from './http/app.ts';
import { INTERNAL_HEADERS } from './http/security.ts';
import { pruneTiles } from './http/tiles.ts';
import { attachRealtime } from './realtime/io.ts';
import { setRegistry } from './registry.ts';
import { installOutgoingDeadline } from './http/outgoing.ts';

export type WebMode = 'build' | 'dev' | 'none';

export interface StartOptions {
  /** How the web pages are served: the production build, Vite (dev), or not at all (API tests). */
  web?: WebMode;
  /** Print the setup link when no administrator exists (main.ts does). */
  announceSetup?: boolean;
}

export interface RunningNode {
  config: Config;
  services: Services;
  server: HttpServer;
  io: IoServer | null;
  /** The address the server listens on (may differ from PUBLIC_URL behind a proxy). */
  address: URL;
  /** A setup link, when one was issued at start. */
  setupUrl: string | null;
  close(): Promise<void>;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const MAINTENANCE_MS = 10 * 60_000;

/** Mounts the SvelteKit app: the adapter-node handler in production, Vite middleware in dev. */
async function mountWeb(app: express.Express, server: HttpServer, mode: WebMode, uploadLimit: number) {
  if (mode === 'none') return async () => {};
  if (mode === 'build') {
    const handlerPath = `${root}build/handler.js`;
    if (!existsSync(handlerPath)) throw new Error('the web app is not built: run `npm run build` (npm start does it for you)');
    // The adapter reads these when its module loads: it trusts only the headers we overwrite.
    process.env.SK_PROTOCOL_HEADER = INTERNAL_HEADERS.proto;
    process.env.SK_HOST_HEADER = INTERNAL_HEADERS.host;
    process.env.SK_ADDRESS_HEADER = INTERNAL_HEADERS.clientIp;
    process.env.SK_BODY_SIZE_LIMIT = String(uploadLimit + 1024 * 1024);
    const { handler } = await import(handlerPath);
    app.use(handler);
    return async () => {};
  }
  const { createServer: createVite } = await import('vite');
  const vite = await createVite({
    root,
    configFile: `${root}vite.config.ts`,
    server: { middlewareMode: true, hmr: { server } },
    appType: 'custom',
  });
  app.use(vite.middlewares);
  return () => vite.close();
}

function healthOnlyApp(services: Services) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/api/health', healthCheck(services.db));
  const errorHandler = (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ ok: false });
  };
  return { app, errorHandler };
}

export async function startNode(config: Config, opts: StartOptions = {}): Promise<RunningNode> {
  const log = getLogger(['militant']);
  const db = openDatabase(config.database);
  await db.migrate();
  const redis = config.redisUrl ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 }) : null;
  installOutgoingDeadline();
  const services = buildServices(config, db, redis);
  // Links to pictures of other servers are signed with a secret kept in the database.
  await services.remoteMedia.ready();
  setRegistry(services);

  // A worker serves only its health check; web and all-in-one nodes serve everything.
  const { app, errorHandler } =
    config.role === 'worker'
      ? healthOnlyApp(services)
      : buildHttpApp(services, {
          extraOrigins: config.dev ? [`http://localhost:${config.port}`, `http://127.0.0.1:${config.port}`] : [],
        });
  const server = createServer(app);
  let io: IoServer | null = null;
  let closeWeb = async () => {};
  if (config.role !== 'worker') {
    io = attachRealtime(server, {
      sessions: services.sessions,
      events: services.bus,
      sources: {
        groupsOf: (userId) => services.groups.liveGroups(userId),
        unreadCount: (userId) => services.notifications.unreadCount({ userId, role: 'member', sessionId: null }),
      },
      publicUrl: config.publicUrl,
      secure: config.secure,
      redis,
      chat: services.chat,
    });
    closeWeb = await mountWeb(app, server, opts.web ?? 'build', config.uploadLimitBytes);
  }
  app.use(errorHandler);

  const workers = new AbortController();
  const running: Promise<unknown>[] = [];
  let maintenance: NodeJS.Timeout | null = null;
  let digests: NodeJS.Timeout | null = null;
  if (config.role !== 'web') {
    running.push(services.federation.startQueue(null, { signal: workers.signal }).catch((e) => log.error('federation queue stopped: {e}', { e })));
    running.push(services.publisher.listen(workers.signal).catch((e) => log.error('publish queue stopped: {e}', { e })));
    running.push(services.mail.listen(workers.signal).catch((e) => log.error('mail queue stopped: {e}', { e })));
    running.push(services.eventNotifier.listen(workers.signal).catch((e) => log.error('events queue stopped: {e}', { e })));
    const maintain = async () => {
      try {
        const now = new Date();
        await db.tx(async () => {
          await services.repo.deleteExpiredSessions(now);
          await services.repo.deleteOldChallenges(new Date(now.getTime() - 86_400_000));
        });
        await services.mail.purge(now);
        await services.inbound.purge(now);
        await services.notifications.purge(now);
        if (config.map.tileUrl) await pruneTiles(config.dataDir, now.getTime());
        await services.remoteMedia.prune(now.getTime());
      } catch (e) {
        log.warn('maintenance failed: {e}', { e });
      }
    };
    maintenance = setInterval(maintain, MAINTENANCE_MS);
    digests = setInterval(() => {
      void services.notifications.sendDigests().catch((e) => log.warn('digests failed: {e}', { e }));
      void services.calendar.sendReminders().catch((e) => log.warn('event reminders failed: {e}', { e }));
    }, 60_000);
    digests.unref();
    maintenance.unref();
    void maintain();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const address = new URL(`http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`);

  let setupUrl: string | null = null;
  if (opts.announceSetup && (await services.admin.needsSetup())) {
    const token = await services.instance.issueSetupToken();
    setupUrl = new URL(`/setup?token=${token}`, config.publicUrl).href;
  }

  let closed = false;
  return {
    config,
    services,
    server,
    io,
    address,
    setupUrl,
    async close() {
      if (closed) return;
      closed = true;
      workers.abort();
      if (maintenance) clearInterval(maintenance);
      if (digests) clearInterval(digests);
      if (io) await new Promise<void>((r) => io!.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await closeWeb();
      await Promise.allSettled(running);
      await db.close();
      if (redis) await redis.quit().catch(() => {});
      setRegistry(undefined);
    },
  };
}
