// Builds app/ into hashed static files that the `cartcast` binary embeds
// (web/build.rs passes --outDir). No inline script: the Content-Security-Policy
// the binary sends allows scripts from 'self' only.
import { defineConfig } from "vite";

export default defineConfig({
  root: "app",
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "es2022",
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    // hls.js (the light build, loaded on demand) is the one large chunk.
    chunkSizeWarningLimit: 600,
  },
});
