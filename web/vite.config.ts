/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Django serves the committed build at "/" and runs the API on the same origin, so the dev
// server forwards the same paths to it.
const backend = 'http://127.0.0.1:8000'

export default defineConfig({
  base: '/',
  plugins: [react()],
  // `@/lib/...` instead of `../../../lib/...`; tsconfig.json maps the same prefix for tsc.
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // dist/ is committed and compared byte for byte by `npm run check-dist`: no source maps,
    // content-hashed names only.
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': backend,
      '/media': backend,
      '/healthz': backend,
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
})
