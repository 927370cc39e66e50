import { describe, expect, it } from 'vitest';
import { normaliseTag, renderMarkdown } from './markdown.ts';

const ALLOWED = new Set(['p', 'br', 'strong', 'em', 's', 'del', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre']);

/** What must never come out, whatever went in. */
function assertSafe(html: string) {
  expect(html).not.toMatch(/<script/i);
  // Event handlers inside tags (the same words escaped as text are harmless).
  for (const [tag] of html.matchAll(/<[^>]+>/g)) expect(tag).not.toMatch(/\son\w+\s*=/i);
  for (const [tag] of html.matchAll(/<[^>]+>/g)) {
    for (const [, href] of tag.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^(https?:\/\/|mailto:|\/(@|tags\/))/);
  }
  for (const [, tag] of html.matchAll(/<\/?([a-zA-Z0-9]+)/g)) expect(ALLOWED.has(tag.toLowerCase()), tag).toBe(true);
}

describe('safe Markdown', () => {
  const xss = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<svg onload=alert(1)>',
    '<iframe src="https://evil.example"></iframe>',
    '<style>body{display:none}</style>',
    '<a href="javascript:alert(1)">x</a>',
    '[x](javascript:alert(1))',
    '[x](JAVASCRIPT:alert(1))',
    '[x](java&#x09;script:alert(1))',
    '[x](javascript&colon;alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[x](vbscript:msgbox(1))',
    '[x](//evil.example)',
    '[x](/relative)',
    '[x](file:///etc/passwd)',
    '![x](javascript:alert(1))',
    '![x](https://tracker.example/pixel.png)',
    '<javascript:alert(1)>',
    '[x](https://a.example "t\\" onmouseover=\\"alert(1)")',
    '[a"><script>alert(1)</script>](https://a.example)',
    '**<b onclick=alert(1)>bold</b>**',
    '`<script>alert(1)</script>`',
    '```\n<script>alert(1)</script>\n```',
    '@"><script>alert(1)</script>',
    '#"><img src=x onerror=alert(1)>',
    '&lt;script&gt;alert(1)&lt;/script&gt;',
    '[x](https://a.example) <a href="https://evil.example" onclick="x()">y</a>',
    '> <script>alert(1)</script>',
    '- [x](javascript:alert(1))\n- <img src=x>',
    'https://example.org/"onmouseover="alert(1)',
  ];
  for (const input of xss) {
    it(`neutralises ${JSON.stringify(input).slice(0, 60)}`, () => {
      const r = renderMarkdown(input, { resolveMention: (n) => `/@${n}` });
      assertSafe(r.html);
    });
  }

  it('renders the allowed subset', () => {
    const { html } = renderMarkdown('**gras** *italique* ~~barré~~ `code`\nligne\n\n> citation\n\n1. un\n2. deux\n\n- a\n- b');
    expect(html).toContain('<strong>gras</strong>');
    expect(html).toContain('<em>italique</em>');
    expect(html).toContain('<s>barré</s>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<br />');
    expect(html).toContain('<blockquote>');
    expect(html).toContain('<ol>');
    expect(html).toContain('<ul>');
  });

  it('does not render headings, tables, rules or images as such', () => {
    const { html } = renderMarkdown('# Titre\n\n| a | b |\n|---|---|\n\n---\n\n![photo](https://a.example/p.png)');
    expect(html).not.toMatch(/<h\d|<table|<hr|<img/);
  });

  it('links bare URLs and keeps external links from leaking referrers', () => {
    const r = renderMarkdown('Voir https://example.org/tract?x=1 et [le site](https://lfi.example)');
    expect(r.html).toContain('<a href="https://example.org/tract?x=1" rel="nofollow noopener noreferrer ugc" target="_blank">');
    expect(r.links).toEqual(['https://example.org/tract?x=1', 'https://lfi.example']);
  });

  it('links mentions of existing members only, and lists every mention', () => {
    const r = renderMarkdown('Salut @Alice, @bob et @carol@autre.example ! Écris à marie@example.org', {
      resolveMention: (n) => (n === 'alice' ? '/@alice' : null),
    });
    expect(r.html).toContain('<a href="/@alice" class="mention">@Alice</a>');
    expect(r.html).not.toContain('href="/@bob"');
    expect(r.mentions).toEqual(['alice', 'bob', 'carol@autre.example']);
  });

  it('links a mention of someone of another server when they are known here', () => {
    const r = renderMarkdown('Merci @Carol@Autre.example et @dan@loin.example', {
      resolveMention: (n) => (n === 'carol@autre.example' ? '/@carol@autre.example' : null),
    });
    expect(r.html).toContain('<a href="/@carol@autre.example" class="mention">@Carol@Autre.example</a>');
    expect(r.html).not.toContain('href="/@dan');
    expect(r.mentions).toEqual(['carol@autre.example', 'dan@loin.example']);
  });

  it('finds hashtags, not C#, entities, numbers alone, or code', () => {
    const r = renderMarkdown('#Église #Retraites2026 C# &#39; #2026 `#code` [#lien](https://a.example) x#y');
    expect(r.hashtags).toEqual(['eglise', 'retraites2026']);
    expect(r.html).toContain('<a href="/tags/eglise" class="hashtag">#Église</a>');
  });

  it('gives a plain text for search and excerpts', () => {
    expect(renderMarkdown('**Réunion** à *20 h*\n\n- tracts\n- affiches').text).toBe('Réunion à 20 h\ntracts\naffiches');
    expect(renderMarkdown('<b>pas du HTML</b> &amp; rien').text).toBe('<b>pas du HTML</b> & rien');
  });

  it('finishes on pathological input', () => {
    for (const s of ['*'.repeat(5000), '['.repeat(5000), '>'.repeat(5000), '@'.repeat(5000), '#'.repeat(5000), '_a'.repeat(2500), '**a'.repeat(1666), '[](', '`'.repeat(5000)]) {
      assertSafe(renderMarkdown(s).html);
    }
  });

  it('normalises tags', () => {
    expect(normaliseTag('ÉgliSe')).toBe('eglise');
    expect(normaliseTag('a-b c')).toBe('abc');
    expect(normaliseTag('x'.repeat(80))).toHaveLength(50);
  });
});
