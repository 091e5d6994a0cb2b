/**
 * Opens an onnxruntime session with the errors a user can act on ("file missing", "not an ONNX
 * model") instead of onnxruntime's raw messages, and reads tensor shapes from its metadata.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { DetectorError } from "./detector_error.ts";
import type { ResolvedDetectorConfig } from "./detector_config.ts";
import { readLabels } from "./labels.ts";

/** A model input or output as the adapters check it. */
export interface TensorInfo {
  name: string;
  /** Dimensions; a symbolic (dynamic) dimension is `undefined`. */
  dims: (number | undefined)[];
}

/**
 * Opens a model file in onnxruntime (CPU).
 *
 * @param path the `.onnx` file
 * @param threads intra-op threads
 * @returns the session
 * @throws {DetectorError} `model_missing` if the file does not exist, `model_invalid` if
 *   onnxruntime cannot load it
 * @example
 * ```ts
 * const session = await openSession("assets/models/centernet.onnx", 2);
 * ```
 */
export async function openSession(path: string, threads: number): Promise<ort.InferenceSession> {
  try {
    const stat = await Deno.stat(path);
    if (!stat.isFile) throw new Error("not a file");
  } catch (err) {
    throw new DetectorError("model_missing", `detector: model file ${path} does not exist`, {
      cause: err,
    });
  }
  try {
    return await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      // ORT's pool threads spin-wait for the next run by default: on a 2-core box that burns the
      // CPU ffmpeg decode and the main event loop need between frames.
      extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DetectorError(
      "model_invalid",
      `detector: model file ${path} is not a model onnxruntime can load: ${reason}`,
      { cause: err },
    );
  }
}

function describe(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, dims: [] };
  return {
    name: meta.name,
    dims: meta.shape.map((d) => typeof d === "number" && d > 0 ? d : undefined),
  };
}

/**
 * Lists a session's inputs and outputs with their shapes.
 *
 * @param session an open session
 * @returns inputs and outputs in model order
 */
export function sessionSignature(
  session: ort.InferenceSession,
): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
  return {
    inputs: session.inputMetadata.map(describe),
    outputs: session.outputMetadata.map(describe),
  };
}

/**
 * Formats dims for messages: `[1,3,?,?]`.
 *
 * @param dims dimensions, `undefined` for symbolic
 * @returns the text
 */
export function formatDims(dims: readonly (number | undefined)[]): string {
  return `[${dims.map((d) => d ?? "?").join(",")}]`;
}

/**
 * Opens a model and its labels and checks them against an adapter's expectations, releasing the
 * session if the check fails — the part every adapter's `open` shares.
 *
 * @param config the resolved detector config
 * @param check the adapter's signature check, given the model's inputs/outputs and label count
 * @returns the session, the checked signature and the labels
 * @throws {DetectorError} from opening the model, reading the labels or the check
 */
export async function openModel<S>(
  config: ResolvedDetectorConfig,
  check: (inputs: TensorInfo[], outputs: TensorInfo[], labelCount: number) => S,
): Promise<{ session: ort.InferenceSession; sig: S; labels: string[] }> {
  const session = await openSession(config.path, config.threads);
  try {
    const labels = await readLabels(config.labelsPath);
    const { inputs, outputs } = sessionSignature(session);
    return { session, sig: check(inputs, outputs, labels.length), labels };
  } catch (err) {
    await session.release();
    throw err;
  }
}
