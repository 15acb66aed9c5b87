// Parses each AsyncAPI document given on the command line with the official parser
// (@asyncapi/parser, the one AsyncAPI Studio and the CLI use) and prints one JSON line
// per document: its path, whether it parsed, and its error and warning diagnostics.
import { Parser } from '@asyncapi/parser';
import fs from 'fs';

const parser = new Parser();
for (const path of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(fs.readFileSync(path, 'utf8'));
  const shown = (severity) => diagnostics
    .filter((d) => d.severity === severity)
    .map((d) => `${d.code}: ${d.message} at ${JSON.stringify(d.path)}`);
  console.log(JSON.stringify({ path, parsed: Boolean(document), errors: shown(0), warnings: shown(1) }));
}
