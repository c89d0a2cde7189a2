#!/usr/bin/env node
// demo-icons.mjs — renders the demo's PNG icons from its SVGs with Debian's Chromium (playwright-core):
//   node tools/demo-icons.mjs      → demo/icons/icon-192.png, icon-512.png, maskable-512.png, icon-180.png
// The PNGs are committed; rerun after editing demo/icons/*.svg.
import { readFileSync } from 'node:fs';
import { launch } from '../tests/browser/browser.mjs';

const DIR = new URL('../demo/icons/', import.meta.url);
const OUT = [['icon.svg', 192, 'icon-192.png'], ['icon.svg', 512, 'icon-512.png'],
             ['maskable.svg', 512, 'maskable-512.png'], ['maskable.svg', 180, 'icon-180.png']];   // iOS rounds its own corners

const browser = await launch();
try {
  const page = await browser.context.newPage();
  for (const [svg, size, png] of OUT) {
    const data = Buffer.from(readFileSync(new URL(svg, DIR))).toString('base64');
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<style>html,body{margin:0;background:transparent}img{display:block}</style>
      <img width="${size}" height="${size}" src="data:image/svg+xml;base64,${data}">`);
    await page.locator('img').evaluate((img) => img.decode());
    await page.screenshot({ path: new URL(png, DIR).pathname, omitBackground: true });
    console.log(`demo/icons/${png}`);
  }
} finally { await browser.close(); }
