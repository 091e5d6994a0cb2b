-- GET /api/detections without filters: every camera's detections, newest first. Without an index
-- on ts alone, each page read every row of the retention window and sorted it (the plan was a Seq
-- Scan of each day partition under one Sort). With it, each day partition is read backwards and
-- the partitions merged, stopping after one page; the keyset cursor (ts, id) bounds the scan from
-- the previous page on. Only ts, like the other detection indexes: ties on ts are sorted within
-- the page (an incremental sort), and a narrow key keeps the insert cost of the hottest table low.
create index detections_ts on detections (ts);
