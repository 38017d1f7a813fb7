/**
 * The built CLI's live-capture commands from the outside: help text, `interfaces`, and every error that must say
 * what to do (cap missing, unknown interface, BPF that does not compile, missing privilege). cap's absence is
 * simulated with a module resolve hook that refuses `cap`, which also proves that reading files does not need it.
 * Tests that open a device need root (CI runs as root) and skip otherwise, saying why.
 */
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {hasProgram} from '../helpers/netns.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/sockscope');
const DEMO = join(ROOT, 'fixtures/demo.pcap');
const IS_ROOT = process.getuid?.() === 0;
const CAP_BUILT = existsSync(join(ROOT, 'node_modules/cap/build/Release/cap.node'));
const NO_ROOT = !IS_ROOT || !CAP_BUILT;
if (NO_ROOT) console.warn('[skip] test/e2e/live-cli.test.ts: device tests need root and a built cap');

const dir = mkdtempSync(join(tmpdir(), 'sockscope-live-cli-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

/** A module hook that makes `import('cap')` fail as it does when the optional package is not installed. */
writeFileSync(
  join(dir, 'no-cap-hooks.mjs'),
  `export async function resolve(specifier, context, next) {
  if (specifier === 'cap') {
    const e = new Error("Cannot find package 'cap' imported from " + context.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}\n`,
);
writeFileSync(
  join(dir, 'no-cap.mjs'),
  `import {register} from 'node:module';\nregister('./no-cap-hooks.mjs', import.meta.url);\n`,
);

function sockscope(args: string[], opts: {nodeArgs?: string[]; prefix?: string[]} = {}) {
  const [cmd, ...pre] = opts.prefix ?? [];
  const argv = [...pre, 'node', ...(opts.nodeArgs ?? []), BIN, ...args];
  const r = spawnSync(cmd ?? argv.shift()!, argv, {encoding: 'utf8', timeout: 20_000, cwd: ROOT});
  return {status: r.status, stdout: r.stdout, stderr: r.stderr};
}

// ── Help ─────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('capture --help', () => {
  it("states cap's limits and the tcpdump alternative that has none of them", () => {
    const r = sockscope(['capture', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: sockscope capture [options] [expression...]');
    expect(r.stdout).toContain('no kernel timestamps');
    expect(r.stdout).toContain('no wire length');
    expect(r.stdout).toContain('no drop counts');
    expect(r.stdout).toContain('tcpdump -U -i IFACE -w - | sockscope flows -');
    expect(r.stdout).toContain('-c, --count <n>');
    expect(r.stdout).toContain('-d, --duration <sec>');
    expect(r.stdout).toContain('-w, --write <file>');
  });
});

// ── cap missing ──────────────────────────────────────────────────────────────────────────────────────────────────

describe('without the cap package', () => {
  const noCap = ['--import', join(dir, 'no-cap.mjs')];

  it('capture exits 2 and says exactly what to install', () => {
    const r = sockscope(['capture', '-i', 'lo'], {nodeArgs: noCap});
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sockscope: error: live capture needs libpcap and the optional "cap" package, which could not be loaded \(Cannot find package 'cap'/);
    expect(r.stderr).toContain('Install them: apt-get install -y libpcap-dev && npm install cap');
    expect(r.stderr).toContain('"allowScripts": {"cap": true}');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('interfaces exits 2 with the same advice', () => {
    const r = sockscope(['interfaces'], {nodeArgs: noCap});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('apt-get install -y libpcap-dev && npm install cap');
  });

  it('reading a capture file still works', () => {
    const r = sockscope(['flows', DEMO, '--format', 'ndjson', '--quiet'], {nodeArgs: noCap});
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(5);
  });
});

// ── interfaces ───────────────────────────────────────────────────────────────────────────────────────────────────

describe.skipIf(!CAP_BUILT)('interfaces', () => {
  it('prints one line per device with prefixed addresses; lo is marked loopback', () => {
    const r = sockscope(['interfaces']);
    expect(r.status).toBe(0);
    const lo = r.stdout.split('\n').find(l => l.startsWith('lo '));
    expect(lo).toMatch(/^lo +127\.0\.0\.1\/8 ::1\/128 {2}loopback$/);
    expect(r.stdout).toMatch(/^any +- {2}\(Pseudo-device that captures on all interfaces\)$/m);
  });

  it('--json gives the same devices for scripts', () => {
    const text = sockscope(['interfaces']).stdout;
    const r = sockscope(['interfaces', '--json']);
    expect(r.status).toBe(0);
    const devices = JSON.parse(r.stdout) as {name: string; loopback: boolean; addresses: {addr: string; prefix?: number}[]}[];
    expect(devices.map(d => d.name)).toEqual(text.trim().split('\n').map(l => l.split(' ')[0]));
    const lo = devices.find(d => d.name === 'lo')!;
    expect(lo.loopback).toBe(true);
    expect(lo.addresses).toContainEqual({addr: '127.0.0.1', netmask: '255.0.0.0', prefix: 8});
  });
});

// ── Errors that say what to do ───────────────────────────────────────────────────────────────────────────────────

describe.skipIf(!CAP_BUILT)('capture errors', () => {
  it('an unknown interface: exit 2, the interfaces that exist', () => {
    const r = sockscope(['capture', '-i', 'nosuchdev0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sockscope: error: no capture device named "nosuchdev0"\. Devices that exist:\n/);
    expect(r.stderr).toMatch(/\n {2}lo \(127\.0\.0\.1, ::1\)\n/);
  });

  it('-w - is refused with the tcpdump pipe to use instead', () => {
    const r = sockscope(['capture', '-i', 'lo', '-w', '-']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('tcpdump -U -i IFACE -w - | sockscope flows -');
  });

  it.skipIf(NO_ROOT)('a BPF expression that does not compile: exit 2, the expression and the reason', () => {
    const r = sockscope(['capture', '-i', 'lo', 'tcp', 'and', '(']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'sockscope: error: BPF filter expression "tcp and (" does not compile: can\'t parse filter expression: syntax error\n',
    );
  });

  it.skipIf(NO_ROOT || !hasProgram('setpriv'))('without privilege (as nobody): exit 2, root or CAP_NET_RAW, the setcap line', () => {
    const r = sockscope(['capture', '-i', 'lo', '-c', '1'], {
      prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'sockscope: error: cannot capture on lo: socket: Operation not permitted. Capturing needs root or the CAP_NET_RAW ' +
        'capability. Run as root, or give node the capabilities once:\n' +
        '  sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))\n',
    );
  });
});

// ── -w: the file is opened before the capture starts ─────────────────────────────────────────────────────────────

describe.skipIf(NO_ROOT)('capture -w to a path that cannot be written', () => {
  /** `capture -i lo -d 4 -w PATH`: must fail at once, well before the 4 s capture would end. */
  function refused(path: string, prefix?: string[]) {
    const started = Date.now();
    const r = sockscope(['capture', '-i', 'lo', '-d', '4', '-w', path], prefix ? {prefix} : {});
    return {...r, ms: Date.now() - started};
  }

  it('a missing directory: exit 2 at once, the path and ENOENT, nothing captured', () => {
    const path = join(dir, 'no-such-dir', 'x.pcap');
    const r = refused(path);
    expect(r.status, r.stderr).toBe(2);
    expect(r.ms).toBeLessThan(3500);
    expect(r.stderr).toBe(
      `sockscope: error: cannot write the pcap file ${path}: directory ${join(dir, 'no-such-dir')} does not exist (ENOENT); ` +
        'create it or choose another path; nothing was captured\n',
    );
    expect(r.stdout).toBe('');
  });

  it('a directory: exit 2 at once, the path and EISDIR', () => {
    const r = refused(dir);
    expect(r.status, r.stderr).toBe(2);
    expect(r.ms).toBeLessThan(3500);
    expect(r.stderr).toContain(`sockscope: error: cannot write the pcap file ${dir}: it is a directory (EISDIR)`);
    expect(r.stderr).not.toContain('listening on');
    expect(r.stdout).toBe('');
  });

  it.skipIf(!hasProgram('setpriv'))('a directory the user may not write to (as nobody with CAP_NET_RAW): exit 2, EACCES', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, {mode: 0o700});
    const path = join(locked, 'x.pcap');
    // nobody keeps the capture capabilities (ambient), so the device opens and only the file is refused.
    const r = refused(path, [
      'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
      '--inh-caps=+net_raw,+net_admin', '--ambient-caps=+net_raw,+net_admin',
    ]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.ms).toBeLessThan(3500);
    expect(r.stderr).toBe(
      `sockscope: error: cannot write the pcap file ${path}: permission denied (EACCES); choose a path you may write to; nothing was captured\n`,
    );
  });
});

// ── Stopping ─────────────────────────────────────────────────────────────────────────────────────────────────────

describe.skipIf(NO_ROOT)('stopping', () => {
  it('SIGTERM stops cleanly: exit 0, summary written, the -w file complete', async () => {
    const file = join(dir, 'sigterm.pcap');
    // A port nothing uses: the capture sees no packets, the file is a valid empty pcap.
    const child = spawn('node', [BIN, 'capture', '-i', 'lo', '-w', file, 'udp port 9'], {stdio: ['ignore', 'pipe', 'pipe']});
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>(r => child.on('exit', code => r(code)));
    for (let i = 0; i < 250 && !err.includes('listening on'); i++) await new Promise(r => setTimeout(r, 20));
    expect(err).toContain('sockscope: listening on lo, link-type ETHERNET, snapshot length 65535 bytes, filter "udp port 9"');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code, err).toBe(0);
    expect(err).toContain('SIGTERM: stopping, writing the open flows');
    expect(err).toContain('sockscope: 0 packets read');
    expect(err).toContain(`sockscope: 0 packets written to ${file}`);
    const t = spawnSync('tcpdump', ['-nr', file], {encoding: 'utf8'});
    expect(t.status).toBe(0);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('link-type EN10MB (Ethernet), snapshot length 65535');
  });
});
