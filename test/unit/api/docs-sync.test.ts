// docs/validation.md and src/api/messages.ts list the same codes with the same texts, and every
// message is used by the validator.

import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { MESSAGES, WARNINGS } from '../../../src/api/messages.js';
import { repoRoot } from './helpers.js';

const doc = readFileSync(path.join(repoRoot, 'docs/validation.md'), 'utf8');

/** The rows `| \`code\` | ... | \`message\` |` of the section that starts with `heading`. */
function catalogue(heading: string): Record<string, string> {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';
  const rows = section.split('\n').map((line) => /^\| `(\w+)` \|(?:.*\|)? `(.*)` \|$/.exec(line)).filter((m) => m !== null);
  return Object.fromEntries(rows.map((m) => [m[1]!, m[2]!]));
}

describe('docs/validation.md', () => {
  it('when the error catalogue is read, then it lists every message code with its exact text, and no other', () => {
    expect(catalogue('Error catalogue')).to.deep.equal({ ...MESSAGES });
  });

  it('when the warning catalogue is read, then it lists every warning code with its exact text, and no other', () => {
    expect(catalogue('Warning catalogue')).to.deep.equal({ ...WARNINGS });
  });

  it('when the validator sources are searched, then every message and warning code is used', () => {
    const dir = path.join(repoRoot, 'src/api');
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'messages.ts')
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    const unused = [...Object.keys(MESSAGES), ...Object.keys(WARNINGS)].filter((key) => !sources.includes(`'${key}'`));
    expect(unused).to.deep.equal([]);
  });
});
