/**
 * Builds the web client into web/dist, which the server serves at `/` (src/http/server.ts).
 * The output must satisfy the server's Content-Security-Policy: no inline scripts, no eval,
 * everything same-origin — so assets are never inlined as data: URLs and nothing is loaded
 * from a CDN. `npm run dev:web` serves the client with hot reload and proxies /api (REST
 * and the WebSocket) to a server on RUSTCHAT_DEV_API (default http://localhost:3000).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.RUSTCHAT_DEV_API ?? 'http://localhost:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
    // The full emoji set (lib/emoji-data.ts, ~1 MB, 180 kB gzipped) is its own chunk, loaded after the first screen.
    chunkSizeWarningLimit: 1100,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      // The server checks Origin on unsafe requests and on WebSocket handshakes; present the
      // API's own host and origin so that the dev server needs no CORS configuration.
      '/api': { target: api, ws: true, changeOrigin: true, headers: { origin: new URL(api).origin } },
    },
  },
});
