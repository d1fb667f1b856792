// `davy validate` on hostile input (issue 11): a duplicate JSON key and bytes that are not UTF-8
// are refused with a clear error, and a stream of 200,000 documents does not overflow the stack.
import { expect } from 'chai';
import { runValidate, type ValidateIO } from '../../../src/cli/validate.js';

async function run(argv: string[], files: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ValidateIO = {
    readFile: (p) => (p in files ? Promise.resolve(files[p]!) : Promise.reject(new Error(`ENOENT: ${p}`))),
    readStdin: () => Promise.resolve(''),
    stdout: (text: string) => void (out += text),
    stderr: (text: string) => void (err += text),
  };
  const code = await runValidate(argv, io);
  return { code, out, err };
}

const provider = (extra: string) => `{"apiVersion": "flagger.app/v1beta1", "kind": "AlertProvider", "metadata": {"name": "p", "namespace": "n"}, "spec": {"type": "slack", ${extra}"address": "https://hooks.slack.com/x"}}`;

describe('davy validate: hostile input', function () {
  this.timeout(120_000);

  it('when a JSON document has a duplicate key, then it is invalid with the key\'s position, not silently the last value', async () => {
    const ok = await run(['-f', 'p.json'], { 'p.json': provider('') });
    expect(ok.code, ok.out + ok.err).to.equal(0);
    const dup = await run(['-f', 'p.json'], { 'p.json': provider('"address": "https://attacker.test/", ') });
    expect(dup.code).to.equal(1);
    expect(dup.out).to.match(/^p\.json: line 1, column \d+: YAML syntax error: Map keys must be unique/);
  });

  it('when a file is not UTF-8 (decoded with U+FFFD), then it is refused with the line and column of the first bad byte', async () => {
    const latin1 = Buffer.from(`apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata: {name: caf\xe9}\n`, 'latin1').toString('utf8');
    const r = await run(['-f', 'a.yaml'], { 'a.yaml': latin1 });
    expect(r.code).to.equal(1);
    expect(r.out).to.equal('a.yaml: line 3, column 21: not valid UTF-8 (a byte sequence that is not UTF-8, or U+FFFD): save the file as UTF-8\n');
  });

  it('when a stream holds 200,000 documents, then each is reported and nothing overflows the stack', async () => {
    const stream = Array.from({ length: 200_000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\n`).join('---\n');
    const r = await run(['-f', 'big.yaml', '-o', 'json'], { 'big.yaml': stream });
    expect(r.code, r.err.slice(0, 500)).to.equal(0);
    const { documents } = JSON.parse(r.out) as { documents: { status: string }[] };
    expect(documents).to.have.length(200_000);
    expect(documents.every((d) => d.status === 'skipped')).to.equal(true);
  });
});
