import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console is static files: `npm start` serves `dist/` at `/`, the CDK app puts it in S3. */
export default defineConfig({
  plugins: [react()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
