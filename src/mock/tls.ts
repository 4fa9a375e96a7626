/**
 * TLS material for `--tls`: a CA generated at start, a server certificate for the listen addresses,
 * and a client certificate (CN racerig-admin, O system:masters). node:crypto cannot sign X.509
 * certificates, so this runs the `openssl` command-line tool (OpenSSL 1.1.1 or newer).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { TargetError } from '../errors.js';

const run = promisify(execFile);

/** TlsMaterial holds PEM strings for the CA, the server and one client. */
export interface TlsMaterial {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** generateTlsMaterial creates a fresh CA, a server certificate valid for `hosts` (plus localhost and loopback), and a client certificate. */
export async function generateTlsMaterial(hosts: string[] = []): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'racerig-mock-tls-'));
  const p = (n: string) => join(dir, n);
  const ossl = async (args: string[]) => {
    try {
      await run('openssl', args, { timeout: 20000 });
    } catch (err) {
      throw new TargetError(`openssl ${args[0]} failed: ${(err as Error).message}`, 'racerig mock --tls needs the openssl command-line tool on PATH', err);
    }
  };
  try {
    const names = new Set(['localhost', '127.0.0.1', '::1', ...hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')]);
    const san = [...names].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await ossl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '7', '-subj', '/CN=racerig-mock-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await writeFile(p('server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    await writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
    for (const [name, subj] of [
      ['server', '/CN=racerig-mock-apiserver'],
      ['client', '/O=system:masters/CN=racerig-admin'],
    ] as const) {
      await ossl(['req', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', subj]);
      await ossl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '7', '-extfile', p(`${name}.ext`)]);
    }
    const read = (n: string) => readFile(p(n), 'utf8');
    return {
      caPem: await read('ca.crt'),
      serverCertPem: await read('server.crt'),
      serverKeyPem: await read('server.key'),
      clientCertPem: await read('client.crt'),
      clientKeyPem: await read('client.key'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
