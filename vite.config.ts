// SvelteKit 3 keeps its configuration in the Vite plugin. Sources live in web/.
import { sveltekit } from '@sveltejs/kit/vite';
import adapter from '@sveltejs/adapter-node';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ out: 'build', envPrefix: 'SK_', precompress: true }),
      files: {
        src: 'web',
        assets: 'web/static',
      },
      // Content-Security-Policy for pages, with a nonce on SvelteKit's own inline scripts
      // (ASVS 3.4.3). Other responses get a stricter policy from server/http/security.ts.
      csp: {
        mode: 'nonce',
        directives: {
          'default-src': ['self'],
          'script-src': ['self'],
          'style-src': ['self', 'unsafe-inline'],
          'img-src': ['self', 'data:', 'blob:'],
          'font-src': ['self'],
          'connect-src': ['self'],
          // MapLibre draws in a web worker it starts from a blob.
          'worker-src': ['self', 'blob:'],
          'object-src': ['none'],
          'base-uri': ['none'],
          'form-action': ['self'],
          'frame-ancestors': ['none'],
        },
      },
    }),
  ],
  server: { fs: { allow: ['server'] } },
});
