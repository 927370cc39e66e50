import { describe, expect, it } from 'vitest';
import { renderMail } from './templates.ts';

describe('mail templates', () => {
  it('render the code, the link and the warning, in both languages', () => {
    const fr = renderMail('signup', { name: 'Léa', code: '012345', link: 'https://x.example/verify?token=abc' }, 'fr', 'Lille');
    expect(fr.subject).toBe('Confirmez votre inscription sur Lille');
    expect(fr.text).toContain('Bonjour Léa,');
    expect(fr.text).toContain('Votre code : 012345 (valable 10 minutes)');
    expect(fr.text).toContain("Si vous n'êtes pas à l'origine");
    expect(fr.html).toContain('<a href="https://x.example/verify?token=abc">');
    const en = renderMail('login', { code: '999999', link: 'https://x.example/verify?token=abc' }, 'en', 'Lille');
    expect(en.subject).toBe('Your login code for Lille');
  });

  it('escape what members typed', () => {
    const m = renderMail('password_changed', { name: '<img src=x onerror=alert(1)>' }, 'fr', 'A & B');
    expect(m.html).not.toContain('<img');
    expect(m.html).toContain('&lt;img');
    expect(m.html).toContain('A &amp; B');
  });
});
