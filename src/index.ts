/**
 * sockscope's library API: capture sources, the zero-copy decoder, the flow table and its records, and the record
 * writers. No UI and no CLI here.
 */
export type { Frame, FrameHandler, PacketSource, SourceStats } from './source/types.js';
export { CaptureError, LinkType } from './source/types.js';
export type { OpenCaptureOptions } from './source/open.js';
export { openCapture, detectFormat } from './source/open.js';
export { openCaptures, LazyCapture } from './source/lazy.js';

export { DecodedPacket, IpProto, TcpFlag } from './decode/packet.js';
export type { DecodeStatus } from './decode/status.js';
export { Status, STATUS_NAME } from './decode/status.js';
export { decodeFrame, resetPacket } from './decode/index.js';
export { formatIpv4, formatIpv6 } from './decode/address.js';

export type { FlowRecord, DirectionRecord, EndReason, ProtoName, StateTransition, TcpOptionsRecord } from './flow/record.js';
export type { FlowTableOptions } from './flow/table.js';
export { serviceName, portClass, isLikelyServerPort } from './flow/services.js';
export type { PortClass } from './flow/services.js';

export type { PipelineOptions, RunSummary } from './pipeline.js';
export { Pipeline, ReplayControl } from './pipeline.js';
export type { CaptureStats, Snapshot, SnapshotFeed } from './pipeline-types.js';

export type { Format, RecordWriter, TextOut } from './sink/writers.js';
export { makeWriter, renderTable, FORMATS } from './sink/writers.js';
export { ALL_FIELDS, ZEEK_FIELDS, SOCKSCOPE_FIELDS, recordObject } from './sink/fields.js';
