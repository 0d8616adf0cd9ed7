/**
 * HTTP routes on the server's own HTTP server, and the static-file handler's confinement to its
 * folder (traversal, encoded slashes, dot-files and symlinks out of the root all answer 404).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, staticFiles } from '@netplay/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveStaticPath } from '../src/http/static-files.js';
import { quiet } from './wire-client.js';

/** A raw request (no URL normalisation, unlike fetch) to 127.0.0.1:port. */
function raw(port: number, method: string, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('server routes and static files', () => {
  let dir: string;
  let outside: string;
  let server: Server;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netplay-static-'));
    outside = await mkdtemp(join(tmpdir(), 'netplay-outside-'));
    await mkdir(join(dir, 'public', 'js'), { recursive: true });
    await writeFile(join(dir, 'public', 'index.html'), '<h1>arena</h1>');
    await writeFile(join(dir, 'public', 'js', 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'public', '.env'), 'SECRET=1');
    await writeFile(join(dir, 'secret.txt'), 'top secret');
    await writeFile(join(outside, 'passwd'), 'root:x:0:0');
    await symlink(outside, join(dir, 'public', 'escape'));
    server = new Server({ host: '127.0.0.1', port: 0, logger: quiet });
    server.route('GET', '/arena/*', staticFiles(join(dir, 'public')));
    server.route('GET', '/hello', (_req, res, { url }) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`hello ${url.searchParams.get('name')}`);
    });
    server.route('POST', '/boom', () => {
      throw new Error('boom');
    });
    await server.listen();
  });

  afterEach(async () => {
    await server.shutdown();
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('serves exact routes, files with their content type, the index and HEAD', async () => {
    expect(await raw(server.port, 'GET', '/hello?name=ana')).toMatchObject({ status: 200, body: 'hello ana' });
    expect(await raw(server.port, 'GET', '/arena/')).toMatchObject({ status: 200, body: '<h1>arena</h1>' });
    const js = await raw(server.port, 'GET', '/arena/js/app.js');
    expect(js).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(js.type).toContain('text/javascript');
    expect(await raw(server.port, 'HEAD', '/arena/js/app.js')).toMatchObject({ status: 200, body: '' });
    expect((await raw(server.port, 'GET', '/health')).status).toBe(200);
  });

  it('answers 404 for anything outside the folder, 405 for a wrong method, 500 for a throwing handler', async () => {
    for (const path of [
      '/arena/../secret.txt',
      '/arena/%2e%2e/secret.txt',
      '/arena/..%2fsecret.txt',
      '/arena/js%2f..%2f..%2fsecret.txt',
      '/arena/..%5csecret.txt',
      '/arena/.env',
      '/arena/escape/passwd',
      '/arena/nope.js',
      '/arena/js',
      '/arena/%00',
      '/arena/%zz',
    ]) {
      const res = await raw(server.port, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('secret');
      expect(res.body).not.toContain('root:');
    }
    expect((await raw(server.port, 'DELETE', '/hello')).status).toBe(405);
    expect((await raw(server.port, 'GET', '/elsewhere')).status).toBe(404);
    expect((await raw(server.port, 'POST', '/boom')).status).toBe(500);
  });

  it('refuses bad and duplicate routes', () => {
    expect(() => server.route('GET', 'no-slash', () => {})).toThrow(/path/);
    expect(() => server.route('GET', '/hello', () => {})).toThrow(/already/);
  });

  it('resolves subpaths only inside the root', () => {
    expect(resolveStaticPath('/srv/www', '', 'index.html')).toBe('/srv/www/index.html');
    expect(resolveStaticPath('/srv/www', 'a/b.js', 'index.html')).toBe('/srv/www/a/b.js');
    expect(resolveStaticPath('/srv/www', 'a/', 'index.html')).toBe('/srv/www/a/index.html');
    expect(resolveStaticPath('/srv/www', '..%2Fx', 'index.html')).toBeUndefined();
    expect(resolveStaticPath('/srv/www', 'a/%2e%2e/%2e%2e/x', 'index.html')).toBeUndefined();
  });
});
