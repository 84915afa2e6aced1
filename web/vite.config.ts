import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a WeReply on :3000; the build goes to web/dist, served by WeReply at /.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        // React in one long-cached vendor chunk. antd and ECharts are deliberately NOT grouped: one
        // antd chunk (1 MB) made the login page download and parse every component of every page
        // before its first paint; split by use, the first screen loads only what it renders, and
        // ECharts arrives with the first chart (components/LazyEChart.tsx). Issue 12, point 5.
        codeSplitting: {
          groups: [{ name: 'react', test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://localhost:3000', '/docs': 'http://localhost:3000' },
  },
});
