// Fedify's types name the standard Temporal (TypeScript's esnext.temporal lib) while it runs on
// the polyfill, whose type declarations differ slightly: tests build durations through this.
import { Temporal } from '@js-temporal/polyfill';

export const duration = (like: Temporal.DurationLike): globalThis.Temporal.Duration =>
  Temporal.Duration.from(like) as unknown as globalThis.Temporal.Duration;
