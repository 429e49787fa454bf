import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-dev-shm-usage'] });
const p = await b.newPage({ viewport: { width: 1024, height: 900 } });
await p.goto('file://' + process.argv[2]);
await p.screenshot({ path: '/tmp/top.png', clip: { x: 0, y: 0, width: 1024, height: 520 } });
const h = await p.evaluate(() => document.body.scrollHeight);
await p.screenshot({ path: '/tmp/bottom.png', fullPage: true, clip: { x: 0, y: h - 380, width: 1024, height: 380 } });
await b.close();
