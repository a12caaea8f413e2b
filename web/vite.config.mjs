// Builds the panel into dist/web/ (served by the gateway at /management.html, assets under
// /management/assets/). Preact through esbuild's automatic JSX runtime: no Babel.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// `npx vite --config web/vite.config.mjs` serves the panel with hot reload at
// http://localhost:5173/management/management.html and forwards the APIs to a running gateway.
const gateway = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8317';

export default defineConfig({
  root: here('.'),
  base: '/management/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none' },
  server: {
    proxy: Object.fromEntries(['/v0', '/api'].map((p) => [p, { target: gateway }])),
  },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Everything as files: the CSP allows no data: URLs and no inline code.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: { input: here('management.html') },
  },
});
