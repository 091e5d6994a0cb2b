/**
 * `GET /api/cluster/segments/{id}`: a recorded segment's file, for another box of the cluster
 * compiling a clip across a handover. Only a box may call it: the request carries a `VigilBox`
 * credential signed with the cluster's key for that one segment (models/cluster/
 * segment_credential.ts); a user token, even an admin's, is refused. The route takes a segment id,
 * never a path: the file is the stored path of that row, checked against the segment-path pattern.
 * Mounted before the bearer-token middleware (routes/app.ts). Why:
 * docs/decisions/cluster-segment-fetch.md.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, CLUSTER_SCHEME, errorReplies } from "./openapi.ts";
import { IdParam } from "./schemas.ts";
import { segmentById } from "../models/store/segments.ts";
import { segmentFile } from "../models/recording/paths.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { checkSegmentRequest, SEGMENT_SCHEME } from "../models/cluster/segment_credential.ts";
import { mp4FileReplies, serveFile } from "./shared/file_reply.ts";
import { createLogger } from "../models/log.ts";
import { LogBudget } from "../models/net/log_budget.ts";
import { clientAddress } from "./shared/access.ts";

const log = createLogger("cluster");
/** Refusals anyone on the LAN can cause: a few lines per address and minute, not one each. */
const REFUSALS_LOGGED_PER_MINUTE = 5;

const segment = createRoute({
  method: "get",
  path: "/segments/{id}",
  summary: "A recorded segment, for another box of the cluster",
  description: "Box to box only: `Authorization: VigilBox <box>.<expiresMs>.<signature>`, an " +
    "HMAC-SHA256 over the segment id, the sending box and the expiry with a key derived from the " +
    "cluster's key in the shared database. User tokens are refused (401). Single byte ranges " +
    "answer 206; `ETag` is the segment id (a segment never changes).",
  tags: ["cluster"],
  security: [{ [CLUSTER_SCHEME]: [] }],
  request: { params: IdParam },
  responses: {
    ...mp4FileReplies("The segment (fragmented MP4)"),
    ...errorReplies({
      401: "No box credential, or not a valid one for this segment",
      404: "No such segment, or its file is not on this box",
    }),
  },
});

/**
 * @param deps the database, the data dir and the cluster's key
 * @returns the sub-app, mounted at `/api/cluster`
 */
export function clusterRoutes(deps: Pick<AppDeps, "db" | "dataDir" | "clusterKey">) {
  const refusalLog = new LogBudget(REFUSALS_LOGGED_PER_MINUTE, 60_000);
  return apiApp().openapi(segment, async (c) => {
    const id = c.req.valid("param").id.toLowerCase();
    const check = checkSegmentRequest(
      deps.clusterKey,
      c.req.header("authorization"),
      id,
      Date.now(),
    );
    if (!check.ok) {
      const client = clientAddress(c);
      const verdict = refusalLog.take(client, Date.now());
      if (verdict !== "skip") {
        log.warn("a segment fetch was refused", {
          client,
          reason: check.reason,
          ...(verdict === "log-last"
            ? { more: "further refusals from it are left out for 1 min" }
            : {}),
        });
      }
      c.header("WWW-Authenticate", `${SEGMENT_SCHEME} realm="vigil-cluster"`);
      throw new VigilError("unauthorized", check.reason);
    }
    const stored = await segmentById(deps.db.sql, id);
    if (!stored) throw new NotFoundError(`segment ${id}`);
    return await serveFile(c, segmentFile(deps.dataDir, stored.path), id, `segment ${id}`);
  });
}
