// The closed set of failures a service can report. Every adapter (HTTP API, SvelteKit actions,
// socket handlers, federation listeners) maps them to a status and a translated message through
// this one module; nothing else decides what a failure looks like to a user.
import { type Locale, type MessageKey, t } from '../web/lib/i18n/index.ts';

export const ERROR_STATUS = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorKind = keyof typeof ERROR_STATUS;

/** Messages per kind when a service gives none. */
const DEFAULT_MESSAGE: Record<ErrorKind, MessageKey> = {
  invalid_input: 'error.invalid_input',
  unauthenticated: 'error.unauthenticated',
  forbidden: 'error.forbidden',
  not_found: 'error.not_found',
  conflict: 'error.conflict',
  gone: 'error.gone',
  payload_too_large: 'error.payload_too_large',
  unsupported_media_type: 'error.unsupported_media_type',
  rate_limited: 'error.rate_limited',
  unavailable: 'error.unavailable',
  internal: 'error.internal',
};

// A symbol from the global registry, so that a copy of this module bundled by SvelteKit still
// recognises errors thrown by the server's copy (instanceof would not).
const BRAND = Symbol.for('militant.AppError');

/** A field's message: a key, or a key with its parameters. */
export type FieldError = MessageKey | readonly [MessageKey, Record<string, string | number>];

export interface AppErrorInit {
  message?: MessageKey;
  params?: Record<string, string | number>;
  /** Per-field messages for forms: field name → message. */
  fields?: Record<string, FieldError>;
  /** Seconds before retrying (rate limits). */
  retryAfter?: number;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly messageKey: MessageKey;
  readonly params: Record<string, string | number>;
  readonly fields: Record<string, FieldError>;
  readonly retryAfter: number | undefined;
  readonly [BRAND] = true;

  constructor(kind: ErrorKind, init: AppErrorInit = {}) {
    super(`${kind}: ${init.message ?? DEFAULT_MESSAGE[kind]}`);
    this.name = 'AppError';
    this.kind = kind;
    this.messageKey = init.message ?? DEFAULT_MESSAGE[kind];
    this.params = init.params ?? {};
    this.fields = init.fields ?? {};
    this.retryAfter = init.retryAfter;
  }
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Shorthands used by services: `throw fail.notFound()`. */
export const fail = {
  invalid: (fields: Record<string, FieldError>, message: MessageKey = 'error.invalid_input') =>
    new AppError('invalid_input', { fields, message }),
  unauthenticated: (message?: MessageKey) => new AppError('unauthenticated', { message }),
  forbidden: (message?: MessageKey) => new AppError('forbidden', { message }),
  notFound: (message?: MessageKey) => new AppError('not_found', { message }),
  conflict: (message: MessageKey, fields?: Record<string, FieldError>) => new AppError('conflict', { message, fields }),
  gone: (message?: MessageKey) => new AppError('gone', { message }),
  rateLimited: (retryAfter: number) =>
    new AppError('rate_limited', { retryAfter, params: { minutes: Math.max(1, Math.ceil(retryAfter / 60)) } }),
  tooLarge: (message?: MessageKey, params?: Record<string, string | number>) =>
    new AppError('payload_too_large', { message, params }),
  unsupportedMedia: (message?: MessageKey) => new AppError('unsupported_media_type', { message }),
  unavailable: (message?: MessageKey) => new AppError('unavailable', { message }),
};

export interface Problem {
  status: number;
  body: {
    error: ErrorKind;
    message: string;
    fields?: Record<string, string>;
  };
  retryAfter?: number;
}

export function translateField(locale: Locale, field: FieldError): string {
  return typeof field === 'string' ? t(locale, field) : t(locale, field[0], field[1]);
}

/** The one mapping from a failure to what a client sees. Unknown errors become a bare 500. */
export function toProblem(e: unknown, locale: Locale): Problem {
  const err = isAppError(e) ? e : new AppError('internal');
  const fields = Object.entries(err.fields);
  return {
    status: ERROR_STATUS[err.kind],
    body: {
      error: err.kind,
      message: t(locale, err.messageKey, err.params),
      ...(fields.length ? { fields: Object.fromEntries(fields.map(([k, v]) => [k, translateField(locale, v)])) } : {}),
    },
    retryAfter: err.retryAfter,
  };
}
