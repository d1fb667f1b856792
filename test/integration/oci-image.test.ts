// hack/oci-image.sh, the image packer behind `make image` and the real node's images: an archive
// that containerd and Docker both read, and the same digest for the same files on every build.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const PACK = path.resolve(import.meta.dirname, '../../hack/oci-image.sh');

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

describe('hack/oci-image.sh', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-image-'));
    fs.mkdirSync(path.join(dir, 'rootfs/app'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'rootfs/app/hello.txt'), 'hello\n');
    fs.mkdirSync(path.join(dir, 'rootfs/tmp'));
    fs.chmodSync(path.join(dir, 'rootfs/tmp'), 0o1777);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pack = async (out: string, ...extra: string[]): Promise<string> =>
    (await run(PACK, ['--ref', 'example/hello:1', '--rootfs', path.join(dir, 'rootfs'), '--out', out,
      '--entrypoint', '["/app/hello"]', '--user', '65532:65532', ...extra])).stdout.trim();

  const unpack = async (archive: string): Promise<string> => {
    const into = fs.mkdtempSync(path.join(dir, 'unpacked-'));
    await run('tar', ['-xf', archive, '-C', into]);
    return into;
  };
  const blob = (layout: string, digest: string): Buffer => fs.readFileSync(path.join(layout, 'blobs/sha256', digest.replace('sha256:', '')));
  const sha = (data: Buffer): string => `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

  it('when the same files are packed twice, then both archives are byte for byte the same', async () => {
    const first = await pack(path.join(dir, 'a.tar'));
    // Files touched later must not change the image: every mtime is written as 0.
    fs.utimesSync(path.join(dir, 'rootfs/app/hello.txt'), new Date(), new Date());
    const second = await pack(path.join(dir, 'b.tar'));
    expect(first).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(second).to.equal(first);
    expect(fs.readFileSync(path.join(dir, 'a.tar')).equals(fs.readFileSync(path.join(dir, 'b.tar')))).to.equal(true);
  });

  it('when a file changes, then the digest changes', async () => {
    const first = await pack(path.join(dir, 'a.tar'));
    fs.writeFileSync(path.join(dir, 'rootfs/app/hello.txt'), 'bye\n');
    expect(await pack(path.join(dir, 'b.tar'))).to.not.equal(first);
  });

  it('when unpacked, then the OCI index, Docker\'s manifest.json and every blob agree with their digests', async () => {
    const digest = await pack(path.join(dir, 'a.tar'), '--cmd', '["--help"]');
    const layout = await unpack(path.join(dir, 'a.tar'));
    expect(JSON.parse(fs.readFileSync(path.join(layout, 'oci-layout'), 'utf8'))).to.deep.equal({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    expect(index.manifests).to.have.length(1);
    expect(index.manifests[0]!.digest).to.equal(digest);
    // containerd takes the name as written: it must be the one the kubelet normalises `example/hello:1` to.
    expect(index.manifests[0]!.annotations).to.deep.equal({ 'io.containerd.image.name': 'docker.io/example/hello:1', 'org.opencontainers.image.ref.name': '1' });
    const manifestBytes = blob(layout, digest);
    expect(sha(manifestBytes)).to.equal(digest);
    const manifest = JSON.parse(manifestBytes.toString()) as { config: Descriptor; layers: Descriptor[] };
    for (const d of [manifest.config, ...manifest.layers]) {
      expect(sha(blob(layout, d.digest))).to.equal(d.digest);
      expect(blob(layout, d.digest).length).to.equal(d.size);
    }
    const config = JSON.parse(blob(layout, manifest.config.digest).toString()) as
      { config: { User: string; Entrypoint: string[]; Cmd: string[] }; rootfs: { diff_ids: string[] }; created?: string };
    expect(config.config).to.deep.include({ User: '65532:65532', Entrypoint: ['/app/hello'], Cmd: ['--help'] });
    expect(config.created).to.equal(undefined);
    // The diff_id is the digest of the uncompressed layer; the layer lists root-owned files with mtime 0.
    const layer = path.join(layout, 'layer.tar');
    fs.writeFileSync(layer, (await import('node:zlib')).gunzipSync(blob(layout, manifest.layers[0]!.digest)));
    expect(config.rootfs.diff_ids).to.deep.equal([sha(fs.readFileSync(layer))]);
    const listing = (await run('tar', ['--numeric-owner', '-tvf', layer])).stdout;
    expect(listing).to.match(/^-rw-r--r-- 0\/0 +6 1970-01-01 00:00 \.\/app\/hello\.txt$/m);
    expect(listing).to.match(/^drwxrwxrwt 0\/0 .* \.\/tmp\/$/m);
    const docker = JSON.parse(fs.readFileSync(path.join(layout, 'manifest.json'), 'utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(docker).to.deep.equal([{
      Config: `blobs/sha256/${manifest.config.digest.slice(7)}`, RepoTags: ['example/hello:1'], Layers: [`blobs/sha256/${manifest.layers[0]!.digest.slice(7)}`],
    }]);
  });

  it('when the ref has no tag, then it refuses with a clear error', async () => {
    const error = await run(PACK, ['--ref', 'example/hello', '--rootfs', path.join(dir, 'rootfs'), '--out', path.join(dir, 'x.tar'), '--entrypoint', '["/x"]'])
      .then(() => undefined, (e: { stderr: string }) => e);
    expect(error?.stderr).to.match(/--ref must name a tag/);
  });
});
