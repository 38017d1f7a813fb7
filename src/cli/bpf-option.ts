/** `--bpf EXPR` for capture files: the expression checked once by libpcap's compiler, the sources wrapped. */
import { InvalidArgumentError } from 'commander';
import { BpfError, BpfFilteredSource, compileBpf } from '../source/bpf.js';
import type { PacketSource } from '../source/types.js';
import { groupDigits } from '../tui/model.js';

/**
 * Commander's parser for `--bpf`: the expression as given, once tcpdump's libpcap has compiled it for Ethernet (a
 * syntax error is a usage error before anything is read; each link type the files hold is compiled again when met).
 */
export function bpfOption(expr: string): string {
  try {
    compileBpf(expr, 1);
  } catch (e) {
    if (e instanceof BpfError) throw new InvalidArgumentError(e.message.replace(/ for link type 1:/, ':'));
    throw e;
  }
  return expr;
}

/** `sources` with only the packets `expr` matches (pcap-filter(7)), or as they are without an expression. */
export function withBpf(sources: PacketSource[], expr: string | undefined): PacketSource[] {
  return expr === undefined ? sources : sources.map((s) => new BpfFilteredSource(s, expr));
}

/** `--bpf 'tcp port 443': 1,234 of 5,678 packets matched` for the summary, or '' without a filter. */
export function bpfSummary(sources: readonly PacketSource[], expr: string | undefined): string {
  if (expr === undefined) return '';
  let matched = 0;
  let rejected = 0;
  for (const s of sources) {
    if (s instanceof BpfFilteredSource) {
      matched += s.matched;
      rejected += s.rejected;
    }
  }
  return `sockscope: --bpf ${JSON.stringify(expr)}: ${groupDigits(matched)} of ${groupDigits(matched + rejected)} packets matched\n`;
}
