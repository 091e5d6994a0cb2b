/// <reference lib="dom" />
/**
 * Follows `GET /api/events/stream` with the bearer header (fetch, not EventSource, which cannot
 * send one), and reconnects with a growing pause when the feed drops, sending the last event id
 * it got so the box replays what happened meanwhile.
 *
 * @module
 */
import type { Api } from "./api.ts";
import { ApiError } from "./api.ts";
import { createSseParser } from "../logic/sse.ts";
import type { VigilEvent } from "./types.ts";

/** What the feed reports. */
export interface FeedHandlers {
  /** `open`, `update` or `close` of an event. */
  onEvent(action: "open" | "update" | "close", event: VigilEvent): void;
  /** The connection state changed (shown next to the list). */
  onState(state: "connecting" | "live" | "retrying", detail?: string): void;
}

const RETRY_MS = [1000, 2000, 5000, 10_000];

/**
 * Starts following the feed.
 *
 * @param api the client
 * @param camera only this camera's events (optional)
 * @param handlers where messages go
 * @returns a function that stops the feed
 */
export function followEvents(
  api: Api,
  camera: string | undefined,
  handlers: FeedHandlers,
): () => void {
  const stop = new AbortController();
  const path = `/api/events/stream${camera ? `?camera=${encodeURIComponent(camera)}` : ""}`;
  (async () => {
    let failures = 0;
    let lastEventId: string | undefined;
    while (!stop.signal.aborted) {
      handlers.onState("connecting");
      try {
        const response = await api.stream(path, stop.signal, lastEventId);
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        const parser = createSseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            if (message.event === "ready") {
              failures = 0;
              handlers.onState("live");
            } else if (["open", "update", "close"].includes(message.event)) {
              if (message.id !== undefined) lastEventId = message.id;
              handlers.onEvent(message.event as "open", JSON.parse(message.data) as VigilEvent);
            }
          }
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        // A refused token is not retried: the API client has signed the user out.
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          handlers.onState("retrying", error.message);
          return;
        }
      }
      if (stop.signal.aborted) return;
      const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!;
      failures += 1;
      handlers.onState("retrying", `feed lost; retrying in ${wait / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return () => stop.abort();
}
