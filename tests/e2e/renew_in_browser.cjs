// Open an approval page whose request expired in headless Chromium (no JS): ask for a fresh request, then approve.
// Usage: node renew_in_browser.cjs URL APPROVER   (playwright-core from tools/); prints what the page showed.
"use strict";
const path = require("path");
const { createRequire } = require("module");

const tools = createRequire(path.join(__dirname, "..", "..", "tools", "package.json"));
const { chromium } = tools("playwright-core");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

async function fillName(page, form, approver) {
  const name = page.locator(`${form} input[name=approver]`);
  if (await name.count()) await name.fill(approver);
}

async function main() {
  const [url, approver] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", headless: true, args: FLAGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    await page.goto(url);
    const offered = (await page.locator("#renew").count()) > 0;
    const expires = (await page.textContent("#request")).trim();
    await fillName(page, "form:has(button[value=request])", approver);
    await Promise.all([page.waitForNavigation(), page.click("button[value=request]")]);
    const renewed = (await page.locator("#renew").count()) === 0;
    await fillName(page, "form:has(button[value=approve])", approver);
    await Promise.all([page.waitForNavigation(), page.click("button[value=approve]")]);
    const after = (await page.textContent("#stage")).trim();
    console.log(JSON.stringify({ offered, expires, renewed, after, body: await page.textContent("body") }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
