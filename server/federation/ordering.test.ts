// Fedify's queue: incoming activities are keyed by their sender (handled in turn, in the order
// they arrived); everything else keeps the key Fedify gives it.
import { describe, expect, it } from 'vitest';
import { inboxOrderingKey } from './federation.ts';

describe('inboxOrderingKey', () => {
  it('keys an incoming activity by its actor, whether named or embedded', () => {
    expect(inboxOrderingKey({ type: 'inbox', activity: { type: 'Create', actor: 'https://a.example/users/1' } })).toBe('inbox:https://a.example/users/1');
    expect(inboxOrderingKey({ type: 'inbox', activity: { type: 'Create', actor: { id: 'https://a.example/users/2', type: 'Person' } } })).toBe('inbox:https://a.example/users/2');
  });

  it('leaves outgoing messages and malformed ones alone', () => {
    expect(inboxOrderingKey({ type: 'outbox', activity: { actor: 'https://a.example/users/1' } })).toBeNull();
    expect(inboxOrderingKey({ type: 'inbox', activity: { actor: 42 } })).toBeNull();
    expect(inboxOrderingKey({ type: 'inbox' })).toBeNull();
    expect(inboxOrderingKey(null)).toBeNull();
  });

  it('bounds the key’s length', () => {
    const long = `https://a.example/${'x'.repeat(2000)}`;
    expect(inboxOrderingKey({ type: 'inbox', activity: { actor: long } })!.length).toBeLessThanOrEqual(506);
  });
});
