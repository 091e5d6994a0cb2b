/**
 * One shared inference Worker per model, opened on first use and shared by every camera that
 * analyses with that model (GUIDE §2: one busy camera cannot starve the others, and a 2-core box
 * never runs two copies of the same session).
 *
 * @module
 */
import { SharedDetector } from "../../models/detectors/shared_detector.ts";
import type { SharedDetectorOptions } from "../../models/detectors/shared_detector_options.ts";
import type { CatalogEntry } from "../../models/detectors/catalog.ts";
import { ValidationError } from "../../models/errors.ts";

/** The models this box can run and their open sessions. */
export class DetectorPool {
  readonly #catalog: ReadonlyMap<string, CatalogEntry>;
  readonly #open = new Map<string, Promise<SharedDetector>>();
  readonly #ready = new Map<string, SharedDetector>();
  readonly #options: SharedDetectorOptions;

  /**
   * @param catalog the runnable models (see `readCatalog`)
   * @param options restart tuning of every shared detector (tests also pass a Worker module)
   */
  constructor(catalog: ReadonlyMap<string, CatalogEntry>, options: SharedDetectorOptions = {}) {
    this.#catalog = catalog;
    this.#options = options;
  }

  /** Names of the runnable models. */
  names(): string[] {
    return [...this.#catalog.keys()];
  }

  /** Labels per model, for validating analytics settings. */
  labels(): Record<string, readonly string[]> {
    return Object.fromEntries([...this.#catalog].map(([name, entry]) => [name, entry.labels]));
  }

  /**
   * The shared detector of a model, opening it on first use (concurrent callers share one open).
   *
   * @param name a model name
   * @returns the shared detector
   * @throws {ValidationError} for an unknown model
   * @throws {DetectorError} when the model cannot be loaded (the next call tries again)
   */
  get(name: string): Promise<SharedDetector> {
    const entry = this.#catalog.get(name);
    if (!entry) return Promise.reject(new ValidationError(`unknown detector ${name}`, "detector"));
    let opening = this.#open.get(name);
    if (!opening) {
      opening = SharedDetector.open(entry.config, this.#options);
      opening.then((detector) => this.#ready.set(name, detector), () => this.#open.delete(name));
      this.#open.set(name, opening);
    }
    return opening;
  }

  /**
   * The shared detector of a model if it has finished opening, without opening it.
   *
   * @param name a model name
   * @returns the detector, or undefined when it is not open (yet)
   */
  opened(name: string): SharedDetector | undefined {
    return this.#ready.get(name);
  }

  /** Closes every open session. */
  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    this.#ready.clear();
    await Promise.all(open.map(async (p) => (await p.catch(() => undefined))?.close()));
  }
}
