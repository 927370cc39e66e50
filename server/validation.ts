// Input validation for services: zod schemas whose messages are catalog keys. A failed parse
// becomes one invalid_input error carrying a translated message per field.
import { z } from 'zod';
import { fail, type FieldError } from './errors.ts';
import { isMessageKey } from '../web/lib/i18n/index.ts';

function fieldError(issue: z.core.$ZodIssue): FieldError {
  if (isMessageKey(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_big':
      return ['validation.too_long', { max: Number(issue.maximum) }];
    case 'too_small':
      return Number(issue.minimum) <= 1 ? 'validation.required' : ['validation.too_short', { min: Number(issue.minimum) }];
    case 'invalid_type':
      return issue.input === undefined || issue.input === null ? 'validation.required' : 'validation.invalid';
    default:
      return 'validation.invalid';
  }
}

/** Parses input with a schema or throws invalid_input with one message per field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // No body at all (or one that was not JSON) reads as an empty form: each field says what it needs.
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields: Record<string, FieldError> = {};
  for (const issue of result.error.issues) {
    const name = issue.path.map(String).join('.') || 'form';
    fields[name] ??= fieldError(issue);
  }
  throw fail.invalid(fields);
}

// Shared field schemas.

/** Text from a form: trimmed; control characters other than newlines and tabs refused. */
export const text = (max: number, message?: string) =>
  z
    .string(message ? { error: message } : undefined)
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .max(max, message)
        .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), message ?? 'validation.invalid'),
    );

export const email = z
  .string({ error: 'email.invalid' })
  .trim()
  .toLowerCase()
  .max(254, 'email.invalid')
  .pipe(z.email({ error: 'email.invalid' }))
  // `.invalid` is reserved (RFC 2606): nobody receives mail there, and the addresses of people of
  // other servers live under it (decision 0017).
  .refine((e) => !/\.invalid$/.test(e), 'email.invalid');

export const postalCode = z
  .string({ error: 'postal_code.invalid' })
  .trim()
  .regex(/^\d{5}$/, 'postal_code.invalid');

/** A checkbox from a form ("on", or absent/empty) or a JSON boolean. */
export const checkbox = z
  .union([z.boolean(), z.literal('on'), z.literal('true'), z.literal('false'), z.literal('1'), z.literal('0'), z.literal(''), z.undefined(), z.null()])
  .transform((v) => v === true || v === 'on' || v === 'true' || v === '1');

/** A département code ("75", "2A", "974") or nothing: a filter of directories and reports. */
export const departementFilter = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^(\d{2,3}|2A|2B)?$/, 'validation.invalid')
  .optional()
  .default('');
