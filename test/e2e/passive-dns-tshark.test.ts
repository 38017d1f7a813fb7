/**
 * resp_name (passive DNS, --names) against tshark on every corpus capture with DNS: tshark's answers
 * (`-Y dns.flags.response==1 -T fields -e frame.number -e dns.qry.name -e dns.a -e dns.aaaa -e dns.cname`), applied in
 * frame order, give each address the name asked for; each flow's resp_name must be the name its responder's address
 * had when the flow's first packet was read. Every difference is listed below with its reason.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureNames } from '../../src/inspect/names.js';
import { recordObject } from '../../src/sink/fields.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

const HAVE_TSHARK = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** One DNS response as tshark decodes it. */
interface Answer {
  frame: number;
  timeSec: number;
  /** The first question's name ('' for a response without one). */
  qname: string;
  /** Every A and AAAA address in the message (tshark's dns.a / dns.aaaa cover all three record sections). */
  addresses: string[];
  /** The addresses of A and AAAA records in the answer section only (by dns.count.answers and dns.resp.type). */
  answerAddresses: Set<string>;
  cnames: string[];
}

function tsharkAnswers(capture: string): Answer[] {
  const args = ['-n', '-r', join(CORPUS, capture), '-Y', 'dns.flags.response==1', '-T', 'fields', '-E', 'occurrence=a',
    '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.aaaa', '-e', 'dns.cname',
    '-e', 'dns.count.answers', '-e', 'dns.resp.type'];
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  const list = (v: string | undefined): string[] => (v ?? '').split(',').filter((x) => x !== '');
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => {
    const [frame, time, qnames, a, aaaa, cname, answers, types] = l.split('\t');
    const v4 = list(a), v6 = list(aaaa);
    // dns.a and dns.aaaa list the addresses in record order; the first `answers` records are the answer section.
    const answerAddresses = new Set<string>();
    let i4 = 0, i6 = 0;
    list(types).forEach((t, k) => {
      const inAnswers = k < Number(list(answers)[0] ?? 0);
      if (t === '1') { if (inAnswers && v4[i4] !== undefined) answerAddresses.add(v4[i4]!); i4++; }
      if (t === '28') { if (inAnswers && v6[i6] !== undefined) answerAddresses.add(v6[i6]!); i6++; }
    });
    return { frame: Number(frame), timeSec: Number(time), qname: list(qnames)[0] ?? '', addresses: [...v4, ...v6], answerAddresses, cnames: list(cname) };
  });
}

/** Differences between tshark's map and sockscope's resp_name, by capture, flow and value, with their reasons. */
const DIFFERENCES: Record<string, string> = {};

describe.skipIf(!HAVE_CORPUS || !HAVE_TSHARK)('resp_name against tshark\'s DNS answers', () => {
  it('every flow of every capture with DNS carries the name tshark\'s earlier answers gave its responder', async () => {
    const diffs: string[] = [];
    let captures = 0, flows = 0, named = 0;
    configureNames({ payload: true });
    try {
      for (const capture of corpusCaptures()) {
        const records = (await runCapture(capture)).records.map((r) => recordObject(r));
        // A capture without a DNS flow has no answers tshark decodes either (names-tshark.test.ts compares
        // dns_query on every connection); it must have no resp_name.
        if (!records.some((o) => String(o.service ?? '').split(',').includes('dns'))) {
          for (const o of records) if (o.resp_name !== undefined) diffs.push(`${capture} ${o['id.resp_h']} ${String(o.resp_name)} without DNS`);
          continue;
        }
        const answers = tsharkAnswers(capture);
        if (answers.length === 0) continue;
        captures++;
        // The map as the flows' first packets found it: answers before the flow's first packet, in frame order.
        for (const o of records) {
          const start = Number(o.ts);
          const expected = new Map<string, [string, Answer]>();
          for (const a of answers) {
            if (a.timeSec >= start) continue;
            for (const addr of a.addresses) expected.set(addr, [a.qname, a]);
          }
          flows++;
          const resp = String(o['id.resp_h']);
          const want = expected.get(resp);
          const got = o.resp_name === undefined ? '' : String(o.resp_name);
          if (got !== '') named++;
          if ((want?.[0] ?? '') === got) continue;
          const why = want === undefined ? 'no answer' : !want[1].answerAddresses.has(resp) ? 'not in the answer section' :
            want[1].qname === '' ? 'no question' : want[1].cnames.length > 0 ? `cnames ${want[1].cnames.join(',')}` : `frame ${want[1].frame}`;
          diffs.push(`${capture} ${o.proto} ${o['id.orig_h']}:${o['id.orig_p']} > ${resp}:${o['id.resp_p']} "${got}" not "${want?.[0] ?? ''}" (${why})`);
        }
      }
    } finally {
      configureNames();
    }
    console.log(`resp_name: ${captures} captures with DNS answers, ${flows} flows compared, ${named} named, ${diffs.length} named differences`);
    expect(diffs.sort()).toEqual(Object.keys(DIFFERENCES).sort());
    expect(named).toBeGreaterThan(10);
  }, 300_000);
});
