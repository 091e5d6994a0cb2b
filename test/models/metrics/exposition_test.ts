import assert from "node:assert/strict";
import parseLenient from "parse-prometheus-text-format";
import {
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  renderExposition,
} from "../../../models/metrics/exposition.ts";
import { Histogram } from "../../../models/metrics/histogram.ts";
import {
  type CameraMetrics,
  INFERENCE_BUCKETS,
  LAG_BUCKETS,
  vigilFamilies,
} from "../../../models/metrics/vigil_metrics.ts";
import { parsePrometheusText, sampleValue } from "../../support/prometheus_text.ts";

Deno.test("renderExposition() writes HELP and TYPE before samples, escaping help and label values", () => {
  const text = renderExposition([
    {
      name: "vigil_frames_total",
      help: 'Frames with a \\ and\na line "feed".',
      type: "counter",
      samples: [
        { labels: { camera: 'a"b\\c\nd' }, value: 3 },
        { labels: { camera: "x" }, value: 0 },
      ],
    },
    { name: "vigil_up", help: "Up.", type: "gauge", samples: [{ value: NaN }] },
  ]);
  assert.equal(
    text,
    [
      '# HELP vigil_frames_total Frames with a \\\\ and\\na line "feed".',
      "# TYPE vigil_frames_total counter",
      'vigil_frames_total{camera="a\\"b\\\\c\\nd"} 3',
      'vigil_frames_total{camera="x"} 0',
      "# HELP vigil_up Up.",
      "# TYPE vigil_up gauge",
      "vigil_up NaN",
      "",
    ].join("\n"),
  );
  const parsed = parsePrometheusText(text);
  assert.equal(sampleValue(parsed, "vigil_frames_total", { camera: 'a"b\\c\nd' }), 3);
  assert.equal(parsed.get("vigil_frames_total")?.help, 'Frames with a \\ and\na line "feed".');
});

Deno.test("renderExposition() expands a histogram into cumulative buckets, +Inf, _sum and _count", () => {
  const h = new Histogram([0.05, 0.1]);
  for (const v of [0.03, 0.07, 0.5]) h.observe(v);
  const text = renderExposition([
    {
      name: "vigil_inference_seconds",
      help: "Inference.",
      type: "histogram",
      samples: [{ labels: { camera: "c" }, value: h.snapshot() }],
    },
  ]);
  assert.equal(
    text,
    [
      "# HELP vigil_inference_seconds Inference.",
      "# TYPE vigil_inference_seconds histogram",
      'vigil_inference_seconds_bucket{camera="c",le="0.05"} 1',
      'vigil_inference_seconds_bucket{camera="c",le="0.1"} 2',
      'vigil_inference_seconds_bucket{camera="c",le="+Inf"} 3',
      'vigil_inference_seconds_sum{camera="c"} 0.6',
      'vigil_inference_seconds_count{camera="c"} 3',
      "",
    ].join("\n"),
  );
  parsePrometheusText(text);
});

Deno.test("renderExposition() leaves out families without samples", () => {
  assert.equal(renderExposition([{ name: "a", help: "A.", type: "gauge", samples: [] }]), "");
});

Deno.test("renderExposition() refuses what would not parse", async (t) => {
  const gauge = (name: string, labels?: Record<string, string>): MetricFamily => ({
    name,
    help: "h",
    type: "gauge",
    samples: [{ labels, value: 1 }],
  });
  const cases: [string, MetricFamily[], RegExp][] = [
    ["a metric name starting with a digit", [gauge("1a")], /invalid metric name/],
    ["a metric name with a dash", [gauge("a-b")], /invalid metric name/],
    ["a label name with a dot", [gauge("a", { "b.c": "x" })], /invalid label name/],
    ["a reserved label name", [gauge("a", { __name__: "x" })], /invalid label name/],
    ["a family given twice", [gauge("a"), gauge("a")], /given twice/],
    [
      "a counter without _total",
      [{ name: "frames", help: "h", type: "counter", samples: [{ value: 1 }] }],
      /must end in _total/,
    ],
    [
      "a histogram labelled le",
      [{
        name: "h",
        help: "h",
        type: "histogram",
        samples: [{ labels: { le: "1" }, value: new Histogram([1]).snapshot() }],
      }],
      /uses le/,
    ],
  ];
  for (const [name, families, error] of cases) {
    await t.step(name, () => assert.throws(() => renderExposition(families), error));
  }
});

Deno.test("formatValue() and escapeLabelValue() follow the text format", () => {
  assert.deepEqual([Infinity, -Infinity, NaN, 0.25, 3].map(formatValue), [
    "+Inf",
    "-Inf",
    "NaN",
    "0.25",
    "3",
  ]);
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

Deno.test("the strict test parser refuses what lenient scrapers let through", async (t) => {
  const cases: [string, string][] = [
    ["a metric name starting with a digit", "# TYPE 1a gauge\n1a 3\n"],
    ["a value that is not a float", "# TYPE a gauge\na abc\n"],
    ["an unknown escape in a label value", '# TYPE a gauge\na{x="\\q"} 3\n'],
    ["an unterminated label value", '# TYPE a gauge\na{x="1} 3\n'],
    ["a second TYPE", "# TYPE a gauge\n# TYPE a gauge\na 1\n"],
    ["a TYPE after samples", "a 1\n# TYPE a gauge\n"],
    ["interleaved families", '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="y"} 2\n'],
    ["a duplicate series", '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ["a negative counter", "# TYPE a_total counter\na_total -1\n"],
    ["no final line feed", "# TYPE a gauge\na 1"],
    [
      "buckets that are not cumulative",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    ["a histogram without +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    [
      "a _count that is not the +Inf bucket",
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.throws(() => parsePrometheusText(text)));
  }
});

function camera(id: string, frames: number): CameraMetrics {
  const inference = new Histogram(INFERENCE_BUCKETS);
  inference.observe(0.042);
  return {
    id,
    name: `cam "${id}"`,
    stream: "live",
    captureFps: 5,
    frames,
    reconnects: 1,
    attached: true,
    analysis: {
      frames: 10,
      fps: 4.9,
      detectorRuns: 7,
      gateSkipped: 3,
      gateSkipRatio: 0.3,
      skipped: 0,
      tracks: 2,
      openEvents: 1,
      eventsOpened: 4,
    },
    inference: inference.snapshot(),
    writers: [
      {
        table: "detections",
        stats: { buffered: 5, spilled: 0, spillBytes: 0, written: 120, dropped: 0 },
      },
      {
        table: "events",
        stats: { buffered: 0, spilled: 2, spillBytes: 300, written: 4, dropped: 0 },
      },
    ],
  };
}

Deno.test("Vigil's families render an exposition both a strict and a lenient parser read alike", () => {
  const lag = new Histogram(LAG_BUCKETS);
  lag.observe(0.002);
  const text = renderExposition(vigilFamilies({
    cameras: [camera("c1", 100), camera("c2", 50)],
    rssBytes: 123456789,
    lag: { histogram: lag.snapshot(), p99Seconds: 0.002 },
    databaseUp: true,
  }));
  const strict = parsePrometheusText(text);
  assert.equal(sampleValue(strict, "vigil_camera_frames_total", { camera: "c2" }), 50);
  assert.equal(
    sampleValue(strict, "vigil_camera_stream_state", { camera: "c1", state: "live" }),
    1,
  );
  assert.equal(
    sampleValue(strict, "vigil_camera_stream_state", { camera: "c1", state: "backoff" }),
    0,
  );
  assert.equal(
    sampleValue(strict, "vigil_writer_rows_written_total", { camera: "c1", table: "detections" }),
    120,
  );
  assert.equal(sampleValue(strict, "vigil_camera_info", { camera: "c1", name: 'cam "c1"' }), 1);
  assert.equal(
    sampleValue(strict, "vigil_inference_seconds_bucket", { camera: "c1", le: "0.05" }),
    1,
  );
  assert.equal(sampleValue(strict, "vigil_database_up"), 1);
  assert.equal(strict.get("vigil_inference_seconds")?.type, "histogram");
  // A second, independent parser finds the same families and values.
  const lenient: { name: string; type: string; metrics: { value?: string }[] }[] = parseLenient(
    text,
  );
  assert.deepEqual(lenient.map((f) => f.name), [...strict.keys()]);
  const frames = lenient.find((f) => f.name === "vigil_camera_frames_total");
  assert.deepEqual(frames?.metrics.map((m) => Number(m.value)), [100, 50]);
});
