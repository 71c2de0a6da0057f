import type { Readable } from "node:stream";
import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { Log } from "@kubernetes/client-node";

export interface FollowLogInput {
  log: Log;
  namespace: string;
  pod: string;
  container: string;
  tailLines?: number;
  onData?: (chunk: string) => void;
  signal?: AbortSignal;
}

/**
 * Follows a container's log until the server ends it (the container terminated, the pod is gone) or
 * `signal` aborts; resolves with all the text received. Rejects with the client's ApiException when
 * the server refuses, or with the stream's error when the connection breaks.
 */
export async function followLog(input: FollowLogInput): Promise<string> {
  const { onData, signal } = input;
  let text = "";
  if (signal?.aborted) return text;
  const decoder = new StringDecoder("utf8");
  const emit = (s: string) => {
    if (!s) return;
    text += s;
    onData?.(s);
  };
  let settle!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      emit(decoder.write(chunk));
      cb();
    },
    final(cb) {
      emit(decoder.end());
      cb();
    },
  });
  sink.on("finish", () => settle());
  // Log pipes the response body into the sink, and a pipe does not pass on the body's errors: a
  // dropped connection would otherwise leave us waiting for ever.
  sink.on("pipe", (src: Readable) => src.once("error", (err) => (signal?.aborted ? settle() : settle(err))));

  const ctl = await input.log.log(input.namespace, input.pod, input.container, sink, { follow: true, tailLines: input.tailLines });
  const onAbort = () => {
    ctl.abort();
    settle();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    await done;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return text;
}
