/**
 * The two programs the live-capture e2e test runs inside its namespaces, as ES module source text (written to a
 * temporary directory and run with `node`). Both are bounded in time: the server exits after 120 s at the latest,
 * every client step times out after 3 s.
 */

/** TCP port that answers every connection: it reads until the client's FIN, then sends back 2.5 × what it read and closes. */
export const TCP_PORT = 5000;
/** UDP port that answers every datagram of n bytes with one of 3n bytes. */
export const UDP_PORT = 5001;
/** TCP port on which nothing listens (the kernel answers SYN with RST+ACK). */
export const CLOSED_PORT = 5999;

/** Server in namespace b; prints `ready` once every socket listens. */
export const SERVER_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
setTimeout(() => process.exit(0), 120_000); // bound: never outlive the test
const tcp = net.createServer(sock => {
  let received = 0;
  sock.on('data', d => { received += d.length; });
  sock.on('end', () => sock.end(Buffer.alloc(received * 5 / 2, 0x62)));
  sock.on('error', () => {});
});
await new Promise(r => tcp.listen(${TCP_PORT}, '::', r)); // dual stack: IPv4 and IPv6
for (const [type, addr] of [['udp4', '0.0.0.0'], ['udp6', '::']]) {
  const s = dgram.createSocket({type, ipv6Only: type === 'udp6'});
  s.on('message', (msg, rinfo) => s.send(Buffer.alloc(msg.length * 3, 0x63), rinfo.port, rinfo.address));
  await new Promise(r => s.bind(${UDP_PORT}, addr, r));
}
console.log('ready');
`;

/**
 * Client in namespace a. argv: a JSON array of steps, each one of
 *   {"tcp": host, "send": n}            connect to TCP_PORT, send n bytes, half-close, read until the server closes
 *   {"refused": host}                   connect to CLOSED_PORT, expect ECONNREFUSED
 *   {"udp": host, "sizes": [n, ...]}    from one socket: send each size, wait for its reply
 * Prints one JSON array with, per step, the local port and the bytes received.
 */
export const CLIENT_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
const steps = JSON.parse(process.argv[2]);
const withTimeout = (p, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(what + ': timeout')), 3000))]);
const out = [];
for (const step of steps) {
  if (step.tcp !== undefined) {
    out.push(await withTimeout(new Promise((resolve, reject) => {
      const s = net.connect({host: step.tcp, port: ${TCP_PORT}});
      let received = 0, localPort = 0;
      s.on('connect', () => { localPort = s.localPort; s.end(Buffer.alloc(step.send, 0x61)); });
      s.on('data', d => { received += d.length; });
      s.on('close', () => resolve({localPort, received}));
      s.on('error', reject);
    }), 'tcp ' + step.tcp));
  } else if (step.refused !== undefined) {
    out.push(await withTimeout(new Promise((resolve, reject) => {
      const s = net.connect({host: step.refused, port: ${CLOSED_PORT}});
      s.on('connect', () => reject(new Error('port ${CLOSED_PORT} unexpectedly open')));
      s.on('error', e => (e.code === 'ECONNREFUSED' ? resolve({refused: true}) : reject(e)));
    }), 'refused ' + step.refused));
  } else if (step.udp !== undefined) {
    const s = dgram.createSocket(step.udp.includes(':') ? 'udp6' : 'udp4');
    await new Promise(r => s.bind(0, r));
    const received = [];
    for (const n of step.sizes) {
      received.push(await withTimeout(new Promise(resolve => {
        s.once('message', m => resolve(m.length));
        s.send(Buffer.alloc(n, 0x64), ${UDP_PORT}, step.udp);
      }), 'udp ' + step.udp));
    }
    out.push({localPort: s.address().port, received});
    s.close();
  }
  await new Promise(r => setTimeout(r, 30));
}
console.log(JSON.stringify(out));
`;
