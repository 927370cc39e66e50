// Configuration comes only from environment variables, parsed once at boot into one typed
// object. Every bad value is reported at once, in plain words, and the process stops.
import { resolve } from 'node:path';
import { z } from 'zod';

export type Role = 'all' | 'web' | 'worker';

export interface Config {
  env: 'production' | 'development' | 'test';
  dev: boolean;
  role: Role;
  host: string;
  port: number;
  publicUrl: URL;
  /** Whether the public URL is https (Secure cookies, HSTS, __Host- prefix). */
  secure: boolean;
  dataDir: string;
  database: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
  redisUrl: string | null;
  smtpUrl: string | null;
  mailFrom: string | null;
  trustProxy: boolean | number | string;
  logLevel: 'debug' | 'info' | 'warning' | 'error';
  /** Test-only: lets federation reach private addresses (two instances on loopback). */
  allowPrivateAddress: boolean;
  sessionDays: number;
  uploadLimitBytes: number;
  map: MapConfig;
}

/** Where map pictures come from (no Google: OpenStreetMap tiles by default, or your own server). */
export interface MapConfig {
  /** Raster tile template with {z}/{x}/{y}, or null for maps without a background. */
  tileUrl: string | null;
  /** Whether browsers get tiles through this server (they never contact the tile server). */
  proxy: boolean;
  attribution: string;
  /** A MapLibre style (vector tiles) used instead of raster tiles, loaded by browsers directly. */
  styleUrl: string | null;
  /** Other origins a style loads from (sprites, fonts, tiles), allowed by the pages' CSP. */
  extraOrigins: string[];
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

const schema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.string().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).optional(),
  TRUST_PROXY: z.string().default('false'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warning', 'error']).default('info'),
  ALLOW_PRIVATE_ADDRESS: bool.default(false),
  SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  UPLOAD_LIMIT_MB: z.coerce.number().min(1).max(100).default(8),
  MAP_TILE_URL: z.string().default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
  MAP_TILE_PROXY: bool.default(true),
  MAP_ATTRIBUTION: z.string().max(300).default('© OpenStreetMap contributors'),
  MAP_STYLE_URL: z.string().optional(),
  MAP_EXTRA_ORIGINS: z.string().default(''),
});

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee docs/configuration.md.`);
    this.problems = problems;
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // "loopback", "10.0.0.0/8, 127.0.0.1", … as understood by Express
}

function parsePublicUrl(raw: string, problems: string[]): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`PUBLIC_URL: "${raw}" is not a URL (example: https://militants.example.org)`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('PUBLIC_URL: must start with http:// or https://');
  if (url.pathname !== '/' || url.search || url.hash) problems.push('PUBLIC_URL: must be an origin only, without path, query or fragment');
  if (url.username || url.password) problems.push('PUBLIC_URL: must not contain credentials');
  return url;
}

function parseDatabase(raw: string | undefined, dataDir: string, problems: string[]): Config['database'] {
  if (!raw) return { dialect: 'sqlite', file: resolve(dataDir, 'militant.sqlite') };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      problems.push('DATABASE_URL: not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: raw };
  }
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) problems.push('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/militant.sqlite');
    return { dialect: 'sqlite', file: file === ':memory:' ? file : resolve(file) };
  }
  problems.push('DATABASE_URL: must start with postgres://, postgresql:// or sqlite:');
  return { dialect: 'sqlite', file: '' };
}

/** Parses the environment into a Config, or throws a ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: { dev?: boolean } = {}): Config {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const dev = overrides.dev ?? e.NODE_ENV === 'development';
  const dataDir = resolve(e.DATA_DIR);
  const publicUrl = parsePublicUrl(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`, problems);
  const database = parseDatabase(e.DATABASE_URL, dataDir, problems);
  if (e.ALLOW_PRIVATE_ADDRESS && e.NODE_ENV === 'production') {
    problems.push('ALLOW_PRIVATE_ADDRESS: only allowed when NODE_ENV is test or development (it disables the SSRF guard)');
  }
  const map = parseMap(e, problems);
  if (problems.length || !publicUrl) throw new ConfigError(problems);
  return {
    env: e.NODE_ENV,
    dev,
    role: e.ROLE,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    secure: publicUrl.protocol === 'https:',
    dataDir,
    database,
    redisUrl: e.REDIS_URL ?? null,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM ?? null,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    logLevel: e.LOG_LEVEL,
    allowPrivateAddress: e.ALLOW_PRIVATE_ADDRESS,
    sessionDays: e.SESSION_DAYS,
    uploadLimitBytes: Math.round(e.UPLOAD_LIMIT_MB * 1024 * 1024),
    map,
  };
}

function httpUrl(value: string, name: string, problems: string[]): URL | null {
  try {
    const url = new URL(value.replace(/\{[xyz]\}/g, '0'));
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // reported below
  }
  problems.push(`${name}: "${value}" is not an http(s) URL`);
  return null;
}

function parseMap(e: z.output<typeof schema>, problems: string[]): MapConfig {
  const none = e.MAP_TILE_URL === 'none';
  if (!none) {
    httpUrl(e.MAP_TILE_URL, 'MAP_TILE_URL', problems);
    if (!/\{z\}/.test(e.MAP_TILE_URL) || !/\{x\}/.test(e.MAP_TILE_URL) || !/\{y\}/.test(e.MAP_TILE_URL)) problems.push('MAP_TILE_URL: must contain {z}, {x} and {y} (or be "none")');
  }
  if (e.MAP_STYLE_URL) httpUrl(e.MAP_STYLE_URL, 'MAP_STYLE_URL', problems);
  const extraOrigins: string[] = [];
  for (const raw of e.MAP_EXTRA_ORIGINS.split(/[\s,]+/).filter(Boolean)) {
    const url = httpUrl(raw, 'MAP_EXTRA_ORIGINS', problems);
    if (url) extraOrigins.push(url.origin);
  }
  return { tileUrl: none ? null : e.MAP_TILE_URL, proxy: e.MAP_TILE_PROXY, attribution: e.MAP_ATTRIBUTION, styleUrl: e.MAP_STYLE_URL ?? null, extraOrigins };
}
