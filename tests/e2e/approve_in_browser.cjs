// Open an approval page in headless Chromium (Debian's), fill the comment, click Approve; print what the page shows.
// Usage: node approve_in_browser.cjs URL APPROVER COMMENT [SCREENSHOT.png]   (playwright-core from tools/)
"use strict";
const path = require("path");
const { createRequire } = require("module");

const tools = createRequire(path.join(__dirname, "..", "..", "tools", "package.json"));
const { chromium } = tools("playwright-core");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

async function main() {
  const [url, approver, comment, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", headless: true, args: FLAGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    await page.goto(url);
    const before = (await page.textContent("#stage")).trim();
    const overflows = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
      .catch(() => null);  // evaluate needs JS in the page context only for this measurement
    const name = page.locator("input[name=approver]");
    if (await name.count()) await name.fill(approver);
    await page.fill("textarea[name=comment]", comment);
    await Promise.all([page.waitForNavigation(), page.click("button[value=approve]")]);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    const after = (await page.textContent("#stage")).trim();
    console.log(JSON.stringify({ before, after, url: page.url(), overflows, body: await page.textContent("body") }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
