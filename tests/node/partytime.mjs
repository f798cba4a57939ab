// Parse podcast feeds with the Podcast Index's own parser (podcast-partytime).
// Usage: node partytime.mjs FILE...   Prints one JSON array on stdout: for each file,
// the parsed feed as partytime returns it (null when it cannot read the feed).
import { readFile } from "node:fs/promises";
import { parseFeed } from "podcast-partytime";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node partytime.mjs FILE...");
  process.exit(2);
}
const parsed = [];
for (const file of files) {
  parsed.push(parseFeed(await readFile(file, "utf8"), { allowMissingGuid: false }));
}
process.stdout.write(JSON.stringify(parsed) + "\n");
