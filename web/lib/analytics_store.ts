/// <reference lib="dom" />
/**
 * One camera's analytics settings as the camera page edits them: the settings form and the zone
 * editor each change their part, and a save sends the whole settings (`PUT` replaces them), so
 * neither undoes the other's fields. `null` means analytics is off (detached).
 *
 * @module
 */
import { type Api, ApiError } from "./api.ts";
import type {
  AnalysisStats,
  AnalyticsSettings,
  AnalyticsSettingsInput,
  AttachedAnalytics,
} from "./types.ts";

/** The settings of one camera, shared by the parts of its page. */
export interface AnalyticsStore {
  /** The settings as last loaded or saved; null when detached. */
  get(): AnalyticsSettings | null;
  /** The live numbers from the last load. */
  stats(): AnalysisStats;
  /** Reloads from the API. */
  load(): Promise<void>;
  /** Saves the settings with `patch` applied (attaching analytics if it was off). */
  save(patch: Partial<AnalyticsSettings>): Promise<void>;
  /** Turns analytics off. */
  detach(): Promise<void>;
  /** Called after every load or save. */
  subscribe(listener: () => void): void;
}

/**
 * @param api the client
 * @param camera camera id
 * @returns the store (call `load()`)
 */
export function analyticsStore(api: Api, camera: string): AnalyticsStore {
  let settings: AnalyticsSettings | null = null;
  let stats: AnalysisStats = null;
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((listener) => listener());
  const path = `/api/cameras/${camera}/analytics`;
  return {
    get: () => settings,
    stats: () => stats,
    async load() {
      try {
        const reply = await api.get<AttachedAnalytics>(path);
        settings = reply.settings;
        stats = reply.stats;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        settings = null;
        stats = null;
      }
      changed();
    },
    async save(patch) {
      // The webhook comes back with its URL cut to the origin; sent back unchanged, the API
      // keeps the stored URL (see routes/cameras/analytics.ts).
      const body: AnalyticsSettingsInput = { ...settings, ...patch };
      settings = (await api.send<AnalyticsSettings>("PUT", path, body)) ?? null;
      changed();
    },
    async detach() {
      await api.send("DELETE", path);
      settings = null;
      stats = null;
      changed();
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}
