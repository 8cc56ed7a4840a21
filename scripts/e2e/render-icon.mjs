// Renders media/icon.svg to media/icon.png (256×256, transparent corners) with the harness's headless chromium.
// Run after editing the SVG: node scripts/e2e/render-icon.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHROME_ARGS, CHROMIUM, ROOT, ensureSetup, playwright } from './lib.mjs';

ensureSetup();
const { chromium } = playwright();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS });
const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
await page.setContent(
  `<html><body style="margin:0;background:transparent">${readFileSync(join(ROOT, 'media/icon.svg'), 'utf8')}</body></html>`,
);
await page.screenshot({
  path: join(ROOT, 'media/icon.png'),
  omitBackground: true,
  clip: { x: 0, y: 0, width: 256, height: 256 },
});
await browser.close();
console.log('media/icon.png written');
