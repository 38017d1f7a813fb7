/**
 * `watch --names` in a real terminal (tmux) at 80x24 and 200x50, against tshark on the same captures: the names a
 * person sees for each flow (HTTP Host, DNS question, QUIC server name) are tshark's, the confirmed service is shown
 * and a port-only guess is set apart (dim, italics), the detail and services views show the names, and `/ name:` and
 * `--filter service:` count what `flows --filter` and tshark count. Also two lines per flow at 80 columns on IPv6:
 * whole sockets with their ports and the states and counters, as tshark's conversation table has them. Needs the
 * built CLI, tmux and tshark; every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { corpus, sock, tsharkNames } from '../tui/corpus.js';
import { haveTmux, TmuxServer } from '../helpers/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const server = new TmuxServer('names');
afterEach(() => server.killSessions());
afterAll(() => server.close());

const WIKI = corpus('zeek/wikipedia.pcap');
const QUIC = corpus('zeek/ppp-quic-retry.pcap');
const V4V6 = corpus('misc/chrissanders-packets/http_ip4and6.pcapng');
const haveTshark = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const tshark = (file: string, ...args: string[]): string =>
  execFileSync('tshark', ['-n', '-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/** Conversations tshark shows (TCP and UDP) with a packet matching `filter`. */
const tsharkCount = (file: string, filter: string): number =>
  (['tcp', 'udp'] as const).reduce((n, p) => n + tshark(file, '-q', '-z', `conv,${p},${filter}`).split('\n').filter((l) => l.includes('<->')).length, 0);

/** Reads the pane until `test` holds, at most 20 s (the machine may be busy with other tests). */
const wait = (s: string, test: (x: string) => boolean, read = (x: string) => server.screen(x)): Promise<string> =>
  server.waitFor(s, test, read, 20_000);

const flowRows = (scr: string) => scr.split('\n').filter((l) => /^(tcp|udp|icmp6?)\s/.test(l));

describe.skipIf(!existsSync(`${ROOT}/dist/cli/main.js`) || !haveTmux() || !haveTshark || !existsSync(WIKI))('watch --names (tmux)', () => {
  const names = tsharkNames(WIKI);

  it('200x50: a Name column with tshark\'s name for every flow on screen; the detail and services views name them too', async () => {
    const s = server.start(`node bin/sockscope watch --names --speed max ${WIKI}`, 200, 50);
    let scr = await wait(s, (x) => x.includes('end of capture') && x.includes('34/34'));
    const title = scr.split('\n').find((l) => l.startsWith('Proto'))!;
    expect(title).toMatch(/^Proto\s+Originator\s+Responder\s+Name\s+Orig st\s+Resp st\s+Conn\s+Pkts o\/r\s+Bytes o\/r↓\s+Rate\s+Dur\s+RTT\s+Retx/);
    const [from, to] = [title.indexOf('Name'), title.indexOf('Orig st')];
    const rows = flowRows(scr);
    expect(rows).toHaveLength(34);
    for (const row of rows) {
      const client = row.split(/\s+/)[1]!;
      // Every flow tshark names shows that name; the others (no request, no question) show none.
      expect(row.slice(from, to).trim(), row).toBe(names.get(client) ?? '');
    }
    expect(rows.filter((r) => r.slice(from, to).trim() !== '')).toHaveLength(names.size);
    // A port's name is a guess, set apart in italics (ESC[3m); the confirmed service is plain.
    const styled = server.run('capture-pane', '-p', '-e', '-t', s).split('\n');
    const midstream = styled.find((l) => l.includes(':35634'))!; // HTTP picked up mid-stream: no service confirmed
    expect(midstream).toMatch(/208\.80\.152\.2:80 \u001b\[3mhttp/);
    const confirmed = styled.find((l) => l.includes(':35642'))!;
    expect(confirmed).toMatch(/208\.80\.152\.2:80 http /);
    // The detail of the selected (biggest) flow: its request as tshark reads it.
    await server.send(s, ['Enter']);
    scr = await wait(s, (x) => x.includes('handshake RTT'));
    const client = /TCP {2}(\S+) →/.exec(scr)![1]!;
    expect(scr).toMatch(/service\s+http\s*\n/);
    const method = tshark(WIKI, '-Y', `http.request && tcp.srcport == ${client.split(':')[1]}`, '-T', 'fields', '-e', 'http.request.method').split('\n')[0]!; // the first request's
    expect(scr).toContain(`http             ${method} ${names.get(client)}`);
    expect(scr).toMatch(/community_id\s+1:\S+=/);
    // The services view: the listener's confirmed service and the names its clients asked for.
    await server.send(s, ['Escape'], ['Tab']);
    scr = await wait(s, (x) => x.includes('[Services]'));
    expect(scr).toMatch(/Proto\s+Listener \(responder socket\)\s+Conns\s+Clients\s+Open\s+Bytes\s+Names\s+States/);
    expect(scr).toMatch(/^tcp {3}208\.80\.152\.3:80 http\s+6\s+1\s+0\s+\S+\s+upload\.wikimedia\.org\s+S1:6/m);
    expect(scr).toMatch(/^udp {3}141\.142\.2\.2:53 dns\s+14\s+1\s+0\s+\S+\s+upload\.wikimedia\.org, upload\.wiki/m);
    await server.send(s, ['q']);
  });

  it('80x24: two lines per flow so that the names show; each first line has tshark\'s name, each second the state and counters', async () => {
    const s = server.start(`node bin/sockscope watch --names --speed max ${WIKI}`, 80, 24);
    const scr = await wait(s, (x) => x.includes('end of capture') && x.includes('34/34'));
    const lines = scr.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[4]).toMatch(/^Proto\s+Originator\s+Responder\s+Name$/);
    expect(lines[5]).toMatch(/^ {2}Orig st\s+Resp st\s+Conn\s+Pkts o\/r\s+Bytes o\/r↓\s+Rate\s+Dur\s+Retx$/);
    const body = lines.slice(6).filter((l) => /^(tcp|udp|icmp6?) |^ {2}\S/.test(l));
    expect(body.length).toBe(16); // 8 flows
    for (let i = 0; i < body.length; i += 2) {
      const [proto, client, resp, ...rest] = body[i]!.split(/\s+/);
      expect(proto).toMatch(/^(tcp|udp)$/);
      expect(resp).toMatch(/:\d+$/);
      expect(rest.at(-1), body[i]).toBe(names.get(client!));
      expect(body[i + 1]).toMatch(/^ {2}(ESTAB~?|-)\s+(ESTAB~?|-)\s+(S1|SF|OTH|S0)\s+\d+\/\d+\s+\S+\/\S+\s+\S+\s+\S+\s+\d+$/);
    }
    await server.send(s, ['q']);
  });

  it('80x24 on QUIC: name:server4 finds the flow by its server name; the detail shows it with its ALPN, as tshark reads them', async () => {
    const [sni, alpn] = tshark(QUIC, '-Y', 'tls.handshake.extensions_server_name', '-T', 'fields', '-e', 'tls.handshake.extensions_server_name',
      '-e', 'tls.handshake.extensions_alpn_str').trim().split('\t');
    const s = server.start(`node bin/sockscope watch --names --speed max ${QUIC}`, 80, 24);
    await wait(s, (x) => x.includes('end of capture'));
    await server.send(s, ['/'], ['-l', 'name:server4'], ['Enter']);
    let scr = await wait(s, (x) => x.includes('filter: name:server4') && !x.includes('█'));
    expect(scr).toMatch(/filter: name:server4\s+1\/3/);
    expect(scr).toMatch(new RegExp(`^udp\\s+193\\.167\\.0\\.100:\\d+\\s+193\\.167\\.100\\.100:443 quic\\s+${sni}$`, 'm'));
    await server.send(s, ['Enter']);
    scr = await wait(s, (x) => x.includes('server_name'));
    expect(scr).toMatch(/service\s+quic\s*\n/);
    expect(scr).toContain(`server_name      ${sni}   alpn ${alpn}`);
    await server.send(s, ['q']);
  });

  it('80x24 on Teredo: an ICMPv6 flow named by an earlier DNS answer (resp_name), two lines with its whole sockets', async () => {
    const TEREDO = corpus('zeek/tunnel-teredo.pcap');
    const answer = tshark(TEREDO, '-Y', 'dns.aaaa == 2001:4860:0:2001::68', '-T', 'fields', '-e', 'dns.qry.name').split('\n')[0]!;
    expect(answer).toBe('ipv6.google.com');
    const s = server.start(`node bin/sockscope watch --names --speed max --filter 'proto:icmp6 and name:google.com' ${TEREDO}`, 80, 24);
    const scr = await wait(s, (x) => x.includes('end of capture') && x.includes('1/20'));
    const lines = scr.split('\n');
    const i = lines.findIndex((l) => l.startsWith('icmp6'));
    // Both sockets whole fill the first line: the name goes to the second, before the counters that give way to it.
    expect(lines[i]).toMatch(/^icmp6\s+\[2001:0:4137:9e50:8000:f12a:b9c8:2815\] t128\s+\[2001:4860:0:2001::68\] c129$/);
    expect(lines[i + 1]).toMatch(new RegExp(`^ {2}-\\s+-\\s+OTH\\s+52/0\\s+0\\s+0 ${answer}$`));
    await server.send(s, ['Enter']);
    const detail = await wait(s, (x) => x.includes('resp_name'));
    expect(detail).toContain(`resp_name        ${answer} (a DNS answer earlier in the capture)`);
    await server.send(s, ['q']);
  });

  it('one filter language: / name:, watch --filter service: and flows --filter count alike, as tshark does', async () => {
    // name:wikimedia.org: the name or one under it; tshark's anchored matches on Host and question say the same.
    const anchored = ['http.host', 'dns.qry.name'].map((f) => `${f} matches "(^|\\\\.)wikimedia\\\\.org$"`).join(' || ');
    const want = tsharkCount(WIKI, anchored);
    expect(want).toBe(18);
    const flows = (expr: string) =>
      execFileSync('node', ['bin/sockscope', 'flows', '-q', '--names', '-f', 'ndjson', '--filter', expr, WIKI], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').length;
    expect(flows('name:wikimedia.org')).toBe(want);
    const s = server.start(`node bin/sockscope watch --names --speed max --filter service:dns ${WIKI}`, 120, 30);
    let scr = await wait(s, (x) => x.includes('end of capture') && x.includes('/34'));
    const dns = tsharkCount(WIKI, 'dns || nbns || mdns || llmnr'); // Zeek's DNS analyzer reads NetBIOS, mDNS and LLMNR too
    expect(scr).toContain(`filter: service:dns  ${dns}/34`);
    expect(flows('service:dns')).toBe(dns);
    await server.send(s, ['/'], ['C-u'], ['-l', 'name:wikimedia.org'], ['Enter']);
    scr = await wait(s, (x) => x.includes('filter: name:wikimedia.org') && !x.includes('█'));
    expect(scr, scr).toContain(`filter: name:wikimedia.org  ${want}/34`);
    await server.send(s, ['q']);
  });
});

describe.skipIf(!existsSync(`${ROOT}/dist/cli/main.js`) || !haveTmux() || !haveTshark || !existsSync(V4V6))('two lines per flow on IPv6 (tmux)', () => {
  it('80x24: whole IPv6 sockets with their ports, and the state and counters tshark\'s conversations have', async () => {
    const s = server.start(`node bin/sockscope watch --speed max ${V4V6}`, 80, 24);
    const scr = await wait(s, (x) => x.includes('end of capture') && x.includes('2/2'));
    const lines = scr.replace(/\n$/, '').split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    for (const l of lines.filter((x) => /^(tcp|udp) /.test(x))) expect(l).not.toContain('…');
    // tshark: 2001:db8:1:2::1002:35023 <-> 2001:db8:1:2::1000:80, 4 frames one way and 6 the other.
    const conv = tshark(V4V6, '-q', '-z', 'conv,tcp').split('\n').find((l) => l.startsWith('2001:'))!;
    const [a, , b, back, , , forth] = conv.trim().split(/\s+/); // A <-> B, frames B->A, bytes, "bytes", frames A->B
    const port = (x: string) => x.slice(x.lastIndexOf(':') + 1);
    const addr = (x: string) => x.slice(0, x.lastIndexOf(':'));
    const i = lines.findIndex((l) => l.startsWith('tcp') && l.includes(`[${addr(a!)}]:${port(a!)}`));
    expect(i, scr).toBeGreaterThan(0);
    expect(lines[i]).toMatch(new RegExp(`^tcp\\s+\\[${addr(a!)}\\]:${port(a!)}\\s+\\[${addr(b!)}\\]:${port(b!)} http$`));
    expect(lines[i + 1]).toMatch(new RegExp(`^ {2}TIME_WT\\s+CLOSED\\s+SF\\s+${forth}/${back}\\s`));
    await server.send(s, ['L'], ['L']); // one line per flow: the sockets are cut, the port kept
    const one = await wait(s, (x) => x.includes('rows: one-line'));
    expect(one).toMatch(/^tcp\s+\[\S*…\S*\]:35023\s+\[\S*…\S*\]:80\s/m);
    await server.send(s, ['q']);
  });
});
