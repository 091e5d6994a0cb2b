/// <reference lib="dom" />
/**
 * What every page receives and returns.
 *
 * @module
 */
import type { Api } from "./api.ts";
import type { Role } from "./types.ts";

/** What a page may use. */
export interface PageContext {
  api: Api;
  role: Role;
  /** Whether the role may change things (admin). */
  canWrite: boolean;
  /** Goes to another console address (`#/...`). */
  navigate(hash: string): void;
}

/** A rendered page. */
export interface View {
  /** Shown as the document title, after "Vigil · ". */
  title: string;
  root: HTMLElement;
  /** Stops the page's timers, feeds and requests when another page replaces it. */
  dispose?(): void;
}
