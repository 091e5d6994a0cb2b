/**
 * Issue 25, the pure parts: PTZ request bodies and reply readers, event service replies, and the
 * open/close logic of the camera's own events, including what a hostile device can put in them.
 */
import assert from "node:assert/strict";
import * as ptz from "../../../models/onvif/ptz.ts";
import * as events from "../../../models/onvif/events.ts";
import {
  closeAllProperties,
  MAX_OPEN_PROPERTIES,
  onvifEventActions,
  type OpenProperties,
  propertyState,
  readOnvifEventSettings,
  topicLabel,
  topicWanted,
} from "../../../models/onvif/event_state.ts";
import { buildEnvelope, readResponse } from "../../../models/onvif/soap.ts";

const reply = (body: string) => readResponse(buildEnvelope(body), "Test");

Deno.test("continuousMove() sends the velocity and the camera's own timeout", () => {
  const request = ptz.continuousMove("main&1", { pan: 0.5, tilt: -1, zoom: 0 }, 2500);
  assert.equal(request.action, "http://www.onvif.org/ver20/ptz/wsdl/ContinuousMove");
  assert.match(request.body, /<tptz:ProfileToken>main&amp;1<\/tptz:ProfileToken>/);
  assert.match(request.body, /<tt:PanTilt x="0.5" y="-1"\/><tt:Zoom x="0"\/>/);
  assert.match(request.body, /<tptz:Timeout>PT2.5S<\/tptz:Timeout>/);
  assert.match(ptz.setPreset("p", "a<b").body, /<tptz:PresetName>a&lt;b<\/tptz:PresetName>/);
});

Deno.test("readPresets() keeps tokened presets, at most MAX_PRESETS", () => {
  const many = Array.from(
    { length: 300 },
    (_, i) => `<tptz:Preset token="${i}"><tt:Name>P${i}</tt:Name></tptz:Preset>`,
  ).join("");
  const presets = ptz.readPresets(
    reply(
      `<tptz:GetPresetsResponse><tptz:Preset><tt:Name>no token</tt:Name></tptz:Preset>` +
        `<tptz:Preset token="x"/>${many}</tptz:GetPresetsResponse>`,
    ),
  );
  assert.equal(presets.length, ptz.MAX_PRESETS);
  assert.deepEqual(presets[0], { token: "x", name: "x" }, "a missing name becomes the token");
});

Deno.test("readLimits() and readPosition() read the node and the status, or fall back", () => {
  assert.deepEqual(
    ptz.readLimits(reply("<tptz:GetNodesResponse/>")),
    ptz.DEFAULT_PTZ_LIMITS,
  );
  const limits = ptz.readLimits(reply(
    `<tptz:GetNodesResponse><tptz:PTZNode token="n"><tt:SupportedPTZSpaces>` +
      `<tt:ContinuousPanTiltVelocitySpace><tt:XRange><tt:Min>-0.5</tt:Min><tt:Max>0.5</tt:Max>` +
      `</tt:XRange><tt:YRange><tt:Min>x</tt:Min><tt:Max>1</tt:Max></tt:YRange>` +
      `</tt:ContinuousPanTiltVelocitySpace></tt:SupportedPTZSpaces>` +
      `<tt:HomeSupported>false</tt:HomeSupported></tptz:PTZNode></tptz:GetNodesResponse>`,
  ));
  assert.deepEqual(limits.pan, { min: -0.5, max: 0.5 });
  assert.deepEqual(limits.tilt, { min: -1, max: 1 }, "an unreadable range keeps the default");
  assert.deepEqual(limits.zoom, { min: 0, max: 0 }, "no zoom space: no zoom");
  assert.equal(limits.homeSupported, false);
  assert.deepEqual(
    ptz.readPosition(reply(
      `<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position><tt:PanTilt x="0.1" y="0.2"/>` +
        `<tt:Zoom x="0.3"/></tt:Position></tptz:PTZStatus></tptz:GetStatusResponse>`,
    )),
    { pan: 0.1, tilt: 0.2, zoom: 0.3 },
  );
  assert.equal(ptz.readPosition(reply("<tptz:GetStatusResponse/>")), undefined);
});

Deno.test("readSubscription() needs an http(s) address and reads the granted lifetime", () => {
  const subscription = events.readSubscription(
    reply(
      `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
        `<wsa:Address>http://10.0.0.5/onvif/sub?id=3</wsa:Address></tev:SubscriptionReference>` +
        `<wsnt:CurrentTime>2026-01-01T00:00:00Z</wsnt:CurrentTime>` +
        `<wsnt:TerminationTime>2026-01-01T00:01:00Z</wsnt:TerminationTime>` +
        `</tev:CreatePullPointSubscriptionResponse>`,
    ),
    new URL("http://10.0.0.5/onvif/device_service"),
  );
  assert.equal(subscription.address.href, "http://10.0.0.5/onvif/sub?id=3");
  assert.equal(subscription.ttlMs, 60_000);
  assert.throws(
    () =>
      events.readSubscription(
        reply(
          `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
            `<wsa:Address>file:///etc/passwd</wsa:Address></tev:SubscriptionReference>` +
            `</tev:CreatePullPointSubscriptionResponse>`,
        ),
        new URL("http://10.0.0.5/onvif/device_service"),
      ),
    { code: "onvif_bad_reply" },
  );
});

Deno.test("readSubscription() pins a subscription address on another host to the camera", () => {
  // PullMessages, Renew and Unsubscribe carry the camera's WS-Security digest: a camera naming
  // another host (a cloud metadata address here) must not receive them there.
  const subscription = events.readSubscription(
    reply(
      `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
        `<wsa:Address>http://169.254.169.254/latest/meta-data/</wsa:Address>` +
        `</tev:SubscriptionReference></tev:CreatePullPointSubscriptionResponse>`,
    ),
    new URL("http://192.0.2.10:8080/onvif/device_service"),
  );
  assert.equal(subscription.address.host, "192.0.2.10:8080");
  assert.equal(subscription.address.pathname, "/latest/meta-data/");
});

const message = (topic: string, operation: string, value: string, source = "1") =>
  `<wsnt:NotificationMessage><wsnt:Topic>${topic}</wsnt:Topic><wsnt:Message>` +
  `<tt:Message UtcTime="2026-01-01T00:00:00Z" PropertyOperation="${operation}">` +
  `<tt:Source><tt:SimpleItem Name="Source" Value="${source}"/></tt:Source>` +
  `<tt:Data><tt:SimpleItem Name="State" Value="${value}"/></tt:Data></tt:Message>` +
  `</wsnt:Message></wsnt:NotificationMessage>`;

Deno.test("readNotifications() reads topic, operation and items, without control characters", () => {
  const [n, ...rest] = events.readNotifications(reply(
    `<tev:PullMessagesResponse>${
      message("tns1:Device/Trigger/DigitalInput", "Changed", "a&#1;b")
    }<wsnt:NotificationMessage><wsnt:Message/></wsnt:NotificationMessage>` +
      `</tev:PullMessagesResponse>`,
  ));
  assert.deepEqual(rest, [], "a message without a topic is left out");
  assert.deepEqual(n, {
    topic: "tns1:Device/Trigger/DigitalInput",
    at: Date.UTC(2026, 0, 1),
    operation: "Changed",
    source: { Source: "1" },
    data: { State: "ab" },
  });
});

Deno.test("onvif events open on true, close on false or Deleted, and instants open and close", async (t) => {
  const read = (xml: string) =>
    events.readNotifications(reply(`<tev:PullMessagesResponse>${xml}</tev:PullMessagesResponse>`));
  const open: OpenProperties = new Map();
  const now = Date.UTC(2026, 0, 1);
  await t.step("Initialized false opens nothing", () => {
    assert.deepEqual(
      onvifEventActions(open, read(message("tns1:M", "Initialized", "false")), { now }),
      [],
    );
  });
  let key = "";
  await t.step("Changed true opens once", () => {
    const actions = onvifEventActions(
      open,
      read(message("tns1:M", "Changed", "true") + message("tns1:M", "Changed", "true")),
      { now },
    );
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.type, "open");
    key = actions[0]!.key;
  });
  await t.step("another source is another property", () => {
    const actions = onvifEventActions(open, read(message("tns1:M", "Changed", "true", "2")), {
      now,
    });
    assert.equal(actions[0]!.type, "open");
    assert.notEqual(actions[0]!.key, key);
  });
  await t.step("Changed false closes the same event", () => {
    assert.deepEqual(
      onvifEventActions(open, read(message("tns1:M", "Changed", "false")), { now }),
      [
        { type: "close", key, endedAt: now },
      ],
    );
  });
  await t.step("Deleted closes, whatever its data", () => {
    const [close] = onvifEventActions(open, read(message("tns1:M", "Deleted", "true", "2")), {
      now,
    });
    assert.equal(close!.type, "close");
    assert.equal(open.size, 0);
  });
  await t.step("a stateless notification is an instant", () => {
    const actions = onvifEventActions(
      open,
      read(message("tns1:RuleEngine/LineDetector/Crossed", "", "x")),
      { now },
    );
    assert.deepEqual(actions.map((a) => a.type), ["open", "close"]);
    assert.equal(open.size, 0);
  });
  await t.step("a topic filter keeps the topic and its subtopics only", () => {
    assert.deepEqual(
      onvifEventActions(open, read(message("tns1:M", "Changed", "true")), {
        now,
        topics: ["tns1:X"],
      }),
      [],
    );
    assert.equal(topicWanted("tns1:VideoSource/MotionAlarm", ["tns1:VideoSource"]), true);
    assert.equal(topicWanted("tns1:VideoSourceX", ["tns1:VideoSource"]), false);
  });
  await t.step("a device holding many properties open is bounded", () => {
    const flood = Array.from(
      { length: 100 },
      (_, i) => message("tns1:M", "Changed", "true", `s${i}`),
    );
    const actions = onvifEventActions(open, read(flood.join("")), { now });
    assert.equal(open.size, MAX_OPEN_PROPERTIES);
    assert.equal(actions.filter((a) => a.type === "open").length, 100);
    assert.equal(closeAllProperties(open, now).length, MAX_OPEN_PROPERTIES);
    assert.equal(open.size, 0);
  });
});

Deno.test("propertyState(), topicLabel() and readOnvifEventSettings()", () => {
  assert.equal(propertyState({ IsMotion: "TRUE" }), true);
  assert.equal(propertyState({ Level: "7", State: "0" }), false);
  assert.equal(propertyState({ Level: "7" }), undefined);
  assert.equal(topicLabel("tns1:VideoSource/MotionAlarm"), "MotionAlarm");
  assert.equal(topicLabel("tns1:Device/tnsaxis:IO/Port"), "Port");
  assert.deepEqual(readOnvifEventSettings(undefined), { enabled: true, topics: null });
  assert.deepEqual(readOnvifEventSettings({ enabled: false, topics: ["a"] }), {
    enabled: false,
    topics: ["a"],
  });
});
