/** `sockscope flows CAPTURE...`: read capture files and write one record per flow. */
import { type Command, Option } from 'commander';
import { TABLE_LAYOUTS, TIME_ZONES, type TableLayout, type TimeZone } from '../../sink/table-layout.js';
import { filterOption } from '../filter-option.js';
import { bpfOption, bpfSummary, withBpf } from '../bpf-option.js';
import { FlowPacketMatcher, writeFlowPackets } from '../../filter/export.js';
import type { FlowFilter } from '../../filter/filter.js';
import { openCaptures } from '../../source/lazy.js';
import type { PacketSource } from '../../source/types.js';
import type { Env } from '../env.js';
import { Exit, UsageError } from '../errors.js';
import { addIpfixOptions, type IpfixCliOptions, ipfixFileOptions, openIpfixSinks, outputEnv } from '../ipfix-options.js';
import { addFlowOptions, applyNameOptions, checkCaptureNames, type FlowCliOptions, applyDecoderOptions, flowTableOptions, threadsArg } from '../options.js';
import { pickThreads, runFlows, runFlowsSharded } from '../run-flows.js';
import { StopOnSignals } from '../signals.js';
import { sanitize } from '../../tui/sanitize.js';

export function register(program: Command, env: Env, setExit: (code: number) => void): void {
  const cmd = program
    .command('flows')
    .summary('read capture files and write one record per flow')
    .description(
      'Reads pcap or pcapng files (gzip-compressed too; - for standard input), assigns every packet to its flow ' +
        '(5-tuple, both directions), follows TCP connections, and writes one record per flow.\n\n' +
        'Formats: table (for people), ndjson (Zeek conn.log field names, one flow per line, written as each flow ' +
        'ends), json (one array), csv (header row), zeek (conn.log TSV that zeek-cut reads), ipfix (an RFC 5655 ' +
        'IPFIX file; --ipfix sends the same records to collectors).',
    )
    .argument('<capture...>', 'capture files; - reads standard input (tcpdump -U -w - | sockscope flows -)');
  addFlowOptions(cmd)
    .option(
      '-j, --threads <n>',
      'worker threads, each holding a share of the flows; the output is the same with any number while the memory ' +
        'budget holds every flow (ndjson, csv and zeek formats; each worker costs memory of its own; one thread with ' +
        '--names, --tunnel-heuristics, --filter, --memory, --max-flows, --ipfix, live capture); auto: one per core up to 4, for capture ' +
        'files of 64 MiB or more on two cores or more, else 1 (default: as auto, up to 2)',
      threadsArg,
    )
    .addOption(
      new Option(
        '--layout <layout>',
        'the table format on a terminal: one-line (columns give way by priority: protocol, sockets, conn_state, ' +
          'packets and bytes stay), two-line (sockets on the first line of a flow, states and counters on the second), ' +
          'auto (two lines when one would hide a column or shorten a socket)',
      ).choices(TABLE_LAYOUTS).default('auto'),
    )
    .addOption(
      new Option('--time <zone>', 'the table format\'s start times: utc (marked Z) or local (the TZ zone, as tcpdump prints them, marked with its offset)')
        .choices(TIME_ZONES)
        .default('utc'),
    )
    .option(
      '--filter <expr>',
      'write only the flows the expression matches (the filter language of watch\'s /): port:443, host:10.0.0.1, ' +
        'net:10.0.0.0/8, proto:udp, state:SF, orig_state:TIME_WAIT, service:ssl, name:example.org, bytes>1M, retx>0, ' +
        'plain words; ! or not, and, or, parentheses. Runs on one thread',
      filterOption,
    )
    .option(
      '--bpf <expr>',
      'read only the packets this BPF expression matches (pcap-filter(7), as tcpdump -r FILE EXPR; compiled by ' +
        "tcpdump's libpcap), before flows are built",
      bpfOption,
    )
    .option(
      '--write-packets <file>',
      'also write the packets of the flows written (with --filter, of the flows it matches) to this pcap file: the ' +
        'input is read a second time (files only, not standard input)',
    )
    .action(async (captures: string[], o: FlowCliOptions & IpfixCliOptions & { threads?: number | 'auto'; layout?: TableLayout; time?: TimeZone; filter?: FlowFilter; bpf?: string; writePackets?: string }) => {
    checkCaptureNames(captures);
    if (o.writePackets !== undefined && captures.includes('-')) {
      throw new UsageError('--write-packets reads the input a second time: it needs capture files, not standard input');
    }
    let sources: PacketSource[];
    try {
      sources = withBpf(await openCaptures(captures, { stdin: env.stdin }), o.bpf);
    } catch (e) {
      env.stderr.write(`sockscope: error: ${sanitize(describeOpenError(e))}\n`);
      setExit(Exit.INPUT);
      return;
    }
    const output = await outputEnv(o, env);
    applyDecoderOptions(o);
    const runOpts: Parameters<typeof runFlows>[1] = {
      format: o.format ?? (output.env.isTTY ? 'table' : 'ndjson'),
      flowTable: flowTableOptions(o),
    };
    if (o.quiet === true) runOpts.quiet = true;
    if (o.layout !== undefined) runOpts.layout = o.layout;
    if (o.time !== undefined) runOpts.zone = o.time;
    if (o.filter !== undefined) runOpts.filter = (r) => o.filter!.test(r); // checked just before
    const matcher = o.writePackets === undefined ? undefined : new FlowPacketMatcher();
    if (matcher !== undefined) {
      const f = o.filter;
      runOpts.filter = (r) => {
        if (f !== undefined && !f.test(r)) return false;
        matcher.add(r);
        return true;
      };
    }
    if (o.verifyChecksums === true) runOpts.verifyChecksums = true;
    if (runOpts.format === 'ipfix') runOpts.ipfix = ipfixFileOptions(o);
    const sinks = await openIpfixSinks(o, output.env);
    if (sinks.length > 0) runOpts.sinks = sinks; // records reach collectors from the one pipeline: no threads
    applyNameOptions(o);
    const threads = chooseThreads(o, sources, runOpts, sinks.length > 0, env);
    if (o.filter?.usesNames === true && o.names !== true) {
      // A flow has a service and payload names only where its payload was looked at: say so rather than match nothing.
      env.stderr.write('sockscope: warning: name: and service: match nothing without payload inspection: flows --names\n');
    }
    // Ctrl-C or SIGTERM: stop reading, write every open flow and the summary, exit 130 or 143.
    const stop = new StopOnSignals((line) => {
      if (o.quiet !== true) env.stderr.write(`\n${line}\n`);
    });
    runOpts.signal = stop.signal;
    try {
      const code = threads > 1 ? await runFlowsSharded(sources, threads, runOpts, output.env) : await runFlows(sources, runOpts, output.env);
      await output.done();
      if (o.quiet !== true) env.stderr.write(sanitize(bpfSummary(sources, o.bpf)));
      if (matcher !== undefined && o.writePackets !== undefined && stop.exitCode === undefined) {
        const res = await writeFlowPackets(withBpf(await openCaptures(captures), o.bpf), matcher, o.writePackets);
        const other = res.otherLinkType > 0 ? ` (${res.otherLinkType} of another link type left out: a pcap file has one)` : '';
        if (o.quiet !== true || other) {
          env.stderr.write(sanitize(`sockscope: wrote ${res.packets} packet${res.packets === 1 ? '' : 's'} of ${matcher.count} flow${matcher.count === 1 ? '' : 's'} to ${res.file}${other}`) + '\n');
        }
      }
      setExit(stop.exitCode ?? code);
    } finally {
      stop.dispose();
    }
  });
  addIpfixOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nCtrl-C or SIGTERM stops reading, writes every open flow and the summary, and exits 130 or 143; a second one\n' +
      'exits at once. Exit status: 0 all read and written, 1 an input was malformed (named in an error), 2 usage,\n' +
      '3 the output could not be written (full disk, standard output closed).\n',
  );
}

/** A file that cannot be opened, in one line: `cannot open x.pcap: no such file`. */
export function describeOpenError(e: unknown): string {
  if (e instanceof Error) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return `cannot open ${err.path ?? ''}: no such file`;
    if (err.code === 'EACCES') return `cannot open ${err.path ?? ''}: permission denied`;
    if (err.code === 'EISDIR') return `cannot read ${err.path ?? ''}: is a directory, not a capture file`;
    return e.message;
  }
  return String(e);
}

/**
 * The worker threads of a `flows` run (1: the reading thread alone; see pickThreads), and why not when `-j N` asked
 * for threads that cannot be given. A --max-flows limit or a --memory budget is one table's: the shards' tables would
 * each evict on their own. Threads see no payload: --names runs on one. --tunnel-heuristics too: whether a packet of a
 * UDP flow is a tunnel's is then a matter of its payload, not its ports, so the packets of one flow could go to two
 * shards. The record settings (community ID, local networks) go with the threads.
 */
function chooseThreads(
  o: FlowCliOptions & { threads?: number | 'auto' }, sources: readonly PacketSource[], runOpts: Parameters<typeof runFlows>[1], ipfix: boolean, env: Env,
): number {
  const oneTable = o.maxFlows !== undefined || o.memory !== undefined;
  const threads = ipfix || runOpts.filter !== undefined || oneTable || o.tunnelHeuristics === true || o.names === true
    ? 1 : pickThreads(sources, runOpts.format, o.threads);
  if (o.threads === undefined || o.threads === 1 || threads !== 1) return threads;
  // -j asked for and not given: say why rather than ignore it.
  const why = ipfix ? '--ipfix sends records from one pipeline'
    : runOpts.filter !== undefined ? '--filter and --write-packets run on one thread'
    : oneTable ? '--max-flows and --memory limit one table'
    : o.names === true ? '--names runs on one thread (the threads see no payload)'
    : o.tunnelHeuristics === true ? '--tunnel-heuristics runs on one thread (a tunnel found by its payload keeps its flow on one thread)'
    : !(['ndjson', 'csv', 'zeek'] as readonly string[]).includes(runOpts.format) ? `the ${runOpts.format} format is written by one thread (threads: ndjson, csv, zeek)`
    : sources.some((x) => x.live) ? 'live capture is read by one thread'
    : o.threads === 'auto' ? '' // auto chose one thread (few cores, a small input)
    : 'worker threads are not available here';
  if (why !== '') env.stderr.write(`sockscope: -j ${o.threads} not used: ${why}\n`);
  return threads;
}
