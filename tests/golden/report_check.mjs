// Open a compare report's index.html from the file system in headless Chromium and print what a
// person would see, as JSON: the order of the pairs, whether each picture loaded, and what flipping shows.
//   node report_check.mjs /path/to/index.html /path/to/profile-dir
import { chromium } from "playwright-core";

const [index, profile] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run"],
});
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
await page.goto("file://" + index);
await page.waitForLoadState("load");
const pairs = await page.$$eval("section.pair", (sections) => sections.map((s) => ({
  name: s.dataset.name, failed: s.classList.contains("failed"),
  summary: s.querySelector(".summary").textContent,
  sides: [...s.querySelectorAll(".flip button")].map((b) => b.dataset.side),
  shown: s.querySelector(".viewer") ? s.querySelector(".viewer").dataset.shown : null,
})));
const loaded = await page.$$eval("section.pair img", (imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
const first = page.locator('section.pair:has(button[data-side="diff"])').first();
const flips = [];
if (await first.locator("img").count()) {
  await first.locator('button[data-side="expected"]').click();
  flips.push(await first.locator("img").getAttribute("src"));
  await first.locator("img").click();  // flips expected <-> actual
  flips.push(await first.locator("img").getAttribute("src"));
  await first.locator('button[data-side="diff"]').click();
  flips.push(await first.locator("img").getAttribute("src"));
  flips.push(await first.locator("img").evaluate((i) => i.complete && i.naturalWidth));
}
await page.locator('nav button[data-filter="failed"]').click();
const visible = await page.$$eval("section.pair", (s) => s.filter((e) => e.offsetParent !== null).length);
await page.screenshot({ path: index.replace(/index\.html$/, "screenshot.png"), fullPage: true });
console.log(JSON.stringify({ title: await page.title(), pairs, loaded, flips, visibleWhenFailedOnly: visible, errors }));
await context.close();
