/**
 * A workflow History to and from the JSON of history files: the same conversion as the SDK's
 * `historyToJSON` / `historyFromJSON` (@temporalio/common/lib/proto-utils), whose files
 * `Worker.runReplayHistory` and the Temporal CLI read.
 *
 * Why not the SDK's own: npm puts a copy of protobufjs 8 under each of @temporalio/common, proto and
 * worker (the root holds protobufjs 7 for ccxt and gRPC), and common's protojson refuses the message
 * types built by proto's copy ("type must be a Type"). So both SDK functions fail in this install, and
 * so does `Worker.runReplayHistory` when handed parsed JSON. Here protojson comes from the copy that
 * @temporalio/proto itself uses, which is right whatever the layout.
 */
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** The history as a JSON file's text (2-space indented, as the SDK writes it). */
export function historyToJSON(history: History): string {
  const json = protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
  return JSON.stringify(json, null, 2);
}

/** A history file's parsed JSON as a History that `Worker.runReplayHistory` takes as it is. */
export function historyFromJSON(json: unknown): History {
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw new TypeError('not a history: expected an object with an array of events');
  // Fields unknown to this SDK (a newer server's) are ignored, as the SDK does.
  return protojson.fromJson(historyType, { events }, { ignoreUnknownFields: true }) as History;
}
