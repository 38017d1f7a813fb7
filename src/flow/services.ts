/**
 * Port -> service names for the ports people meet most, and the "likely server port" test Zeek uses to orient
 * connections picked up without a handshake. Not exhaustive: IANA's registry has thousands of entries; these are the
 * ones that name the server side of common traffic.
 */

const TCP_SERVICES: ReadonlyArray<readonly [number, string]> = [
  [20, 'ftp-data'], [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [53, 'domain'], [80, 'http'],
  [88, 'kerberos'], [110, 'pop3'], [111, 'sunrpc'], [119, 'nntp'], [135, 'msrpc'], [139, 'netbios-ssn'],
  [143, 'imap'], [179, 'bgp'], [389, 'ldap'], [443, 'https'], [445, 'microsoft-ds'], [465, 'smtps'], [502, 'modbus'],
  [514, 'shell'], [587, 'submission'], [631, 'ipp'], [636, 'ldaps'], [873, 'rsync'], [993, 'imaps'], [995, 'pop3s'],
  [1080, 'socks'], [1433, 'ms-sql-s'], [1521, 'oracle'], [1883, 'mqtt'], [2049, 'nfs'], [3128, 'squid'],
  [3306, 'mysql'], [3389, 'rdp'], [5060, 'sip'], [5222, 'xmpp-client'], [5432, 'postgresql'], [5672, 'amqp'],
  [5900, 'vnc'], [6379, 'redis'], [6443, 'kube-api'], [6667, 'irc'], [8000, 'http-alt'], [8080, 'http-alt'],
  [8443, 'https-alt'], [9092, 'kafka'], [9200, 'elasticsearch'], [11211, 'memcache'], [27017, 'mongodb'],
];
const UDP_SERVICES: ReadonlyArray<readonly [number, string]> = [
  [53, 'domain'], [67, 'bootps'], [68, 'bootpc'], [69, 'tftp'], [123, 'ntp'], [137, 'netbios-ns'],
  [138, 'netbios-dgm'], [161, 'snmp'], [162, 'snmptrap'], [443, 'quic'], [500, 'isakmp'], [514, 'syslog'],
  [546, 'dhcpv6-client'], [547, 'dhcpv6-server'], [1194, 'openvpn'], [1900, 'ssdp'], [2152, 'gtp-u'],
  [3478, 'stun'], [3544, 'teredo'], [4500, 'ipsec-nat-t'], [4789, 'vxlan'], [5060, 'sip'], [5353, 'mdns'],
  [5355, 'llmnr'], [6081, 'geneve'], [51820, 'wireguard'],
];

/**
 * Client ports in UDP_SERVICES that Zeek does not count as server ports: bootpc (DHCP). dhcpv6-client (546) stays:
 * with both 546 and 547 in the set a DHCPv6 server's first packet 547 -> 546 does not flip, as Zeek logs it (pppoe
 * trace: S0, D).
 */
const UDP_CLIENT_PORTS: readonly number[] = [68];

const tcpNames = new Map<number, string>(TCP_SERVICES);
const udpNames = new Map<number, string>(UDP_SERVICES);

/** Service name of `port` for the IANA protocol number `ipProto` (6 TCP, 17 UDP), or '' when unknown. */
export function serviceName(port: number, ipProto: number): string {
  if (ipProto === 6) return tcpNames.get(port) ?? '';
  if (ipProto === 17) return udpNames.get(port) ?? '';
  return '';
}

/** IANA port ranges (RFC 6335 §6): well-known 0-1023, registered 1024-49151, dynamic 49152-65535. */
export type PortClass = 'well-known' | 'registered' | 'dynamic';

/** The RFC 6335 range `port` falls in. */
export function portClass(port: number): PortClass {
  if (port < 1024) return 'well-known';
  if (port < 49152) return 'registered';
  return 'dynamic';
}

const likelyTcp = new Uint8Array(65536);
const likelyUdp = new Uint8Array(65536);
for (const [port] of TCP_SERVICES) likelyTcp[port] = 1;
for (const [port] of UDP_SERVICES) likelyUdp[port] = 1;
// The client ports of protocols whose clients use a well-known port too are named above but are not server ports:
// Zeek's DHCP script adds only 67/udp to likely_server_ports, so a server's reply 67 -> 68 that opens a flow flips
// it (history ^d). NTP's clients may use 123 themselves; 123 stays a server port, as in Zeek.
for (const port of UDP_CLIENT_PORTS) likelyUdp[port] = 0;

/**
 * Zeek's `likely_server_ports` test: whether `port` is one a server usually listens on, for orienting flows whose
 * first packet does not show who opened them. Zeek builds its set from the analyzers it loaded; ours is the service
 * table above.
 */
export function isLikelyServerPort(port: number, ipProto: number): boolean {
  if (ipProto === 6) return likelyTcp[port] === 1;
  if (ipProto === 17) return likelyUdp[port] === 1;
  return false;
}
