/** The detail view's tunnel line: the chain of tunnels around a flow, innermost first, from a real nested capture. */
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import FlowDetail, { tunnelChainText } from '../../src/tui/components/FlowDetail.js';
import { HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

describe.skipIf(!HAVE_CORPUS)('tunnel chain in the detail view', () => {
  it('names the VXLAN flow inside the Geneve flow around a DNS query (Zeek trace tunnel-geneve-vxlan-truncated)', async () => {
    const { records } = await runCapture('zeek/tunnel-geneve-vxlan-truncated.pcap');
    const byUid = (u: string) => records.find((r) => r.uid === u);
    const dns = records.find((r) => r.respPort === 53)!;
    const vxlan = records.find((r) => r.respPort === 4789)!;
    const geneve = records.find((r) => r.respPort === 6081)!;
    expect(tunnelChainText(dns, byUid)).toBe(
      `inside UDP 127.0.0.1:26383 → 127.0.0.1:4789 vxlan (${vxlan.uid}) inside UDP 127.0.0.1:11803 → 127.0.0.1:6081 geneve (${geneve.uid})`,
    );
    expect(tunnelChainText(geneve, byUid)).toBe('');
    const { lastFrame } = render(<FlowDetail record={dns} history={[]} gone={false} width={200} flowByUid={byUid} />);
    expect(lastFrame()).toContain(`tunnel           inside UDP 127.0.0.1:26383 → 127.0.0.1:4789 vxlan (${vxlan.uid})`);
  });
});
