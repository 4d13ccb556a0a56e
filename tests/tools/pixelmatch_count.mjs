// Print pixelmatch's count of differing pixels for pairs of PNG files, one line each:
//   node pixelmatch_count.mjs THRESHOLD INCLUDE_AA A.png B.png [A2.png B2.png ...]
// with colours blended over white (checkerboard: false), the measure imgshare's --threshold follows.
import fs from "node:fs";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";

const [threshold, includeAA, ...files] = process.argv.slice(2);
for (let i = 0; i < files.length; i += 2) {
  const a = PNG.sync.read(fs.readFileSync(files[i]));
  const b = PNG.sync.read(fs.readFileSync(files[i + 1]));
  const count = pixelmatch(a.data, b.data, null, a.width, a.height,
    { threshold: Number(threshold), includeAA: includeAA === "true", checkerboard: false });
  console.log(count);
}
