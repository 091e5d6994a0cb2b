/// <reference lib="dom" />
/**
 * A line that says what a request is doing: loading, failed (announced to screen readers), or
 * done. Every request a page makes reports through one of these.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import { errorText } from "../lib/api.ts";

/** A status line. */
export interface StatusLine {
  root: HTMLElement;
  loading(text?: string): void;
  error(error: unknown): void;
  done(text?: string): void;
}

/**
 * @returns an empty status line
 */
export function statusLine(): StatusLine {
  const root = el("p", { class: "status", role: "status", "aria-live": "polite" });
  const show = (text: string, tone: string) => {
    root.textContent = text;
    root.dataset.tone = tone;
    root.hidden = text === "";
  };
  root.hidden = true;
  return {
    root,
    loading: (text = "Loading…") => show(text, "loading"),
    error: (error) => show(errorText(error), "error"),
    done: (text = "") => show(text, "ok"),
  };
}

/**
 * Runs a request with a status line and keeps a button disabled meanwhile.
 *
 * @param status where to report
 * @param button the control that started it (disabled while it runs)
 * @param work the request
 * @param doneText what to say when it worked
 * @returns the work's result, or undefined when it failed (the error is shown)
 */
export async function busy<T>(
  status: StatusLine,
  button: HTMLButtonElement | undefined,
  work: () => Promise<T>,
  doneText = "",
): Promise<T | undefined> {
  status.loading("Working…");
  if (button) button.disabled = true;
  try {
    const result = await work();
    status.done(doneText);
    return result;
  } catch (error) {
    status.error(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
