"""A small RTSP server for Vigil's tests and camera simulator (GStreamer gst-rtsp-server).

Serves one H.264 stream at rtsp://127.0.0.1:PORT/PATH over TCP and UDP, either
- from a moving test pattern (default): each client gets its own pipeline, so its first frame is a
  keyframe and it never waits for a GOP to come round; or
- from RTP/H.264 arriving on 127.0.0.1:--rtp-port (sent by an ffmpeg that loops a video file with
  continuous timestamps, see rtsp_server.ts): one pipeline shared by all clients.
Prints "READY <port>" on stdout once the socket listens, then "CLIENT connected" and
"CLIENT closed" for each RTSP client connection (so tests can count the sessions a camera sees),
and "REQUEST OPTIONS" / "REQUEST GET_PARAMETER" for each keep-alive-like request;
exits on SIGTERM/SIGINT.

Run with Debian's /usr/bin/python3 (needs python3-gi and gir1.2-gst-rtsp-server-1.0).
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def launch_line(args):
    if args.rtp_port:
        caps = "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96"
        return (
            f'( udpsrc address=127.0.0.1 port={args.rtp_port} buffer-size=4194304 caps="{caps}" '
            "! rtpjitterbuffer latency=50 ! rtph264depay ! h264parse config-interval=-1 "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
    caps = f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1"
    return (
        f"( videotestsrc is-live=true pattern=ball ! {caps},format=I420 ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast threads=1 key-int-max={args.fps} "
        f"bitrate={args.bitrate} ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 "
        "config-interval=-1 )"
    )


def add_auth(server, factory, args):
    """Basic or Digest authentication with one user allowed to play the mount."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "camera-user")
    if args.auth == "digest":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(args.username, args.password, token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.username, args.password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("camera-user", "media.factory.access", True)
    permissions.add_permission_for_role("camera-user", "media.factory.construct", True)
    factory.set_permissions(permissions)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--rtp-port", type=int, default=0, help="RTP/H.264 input on 127.0.0.1")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--bitrate", type=int, default=800, help="kbit/s")
    parser.add_argument("--shared", action="store_true")
    parser.add_argument("--auth", choices=["basic", "digest"], help="ask clients for credentials")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--session-timeout", type=int, default=0, help="seconds (0: default 60)")
    parser.add_argument("--udp-only", action="store_true", help="refuse RTP over TCP")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_shared(args.shared or args.rtp_port > 0)
    if args.udp_only:
        factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP)
    if args.auth:
        add_auth(server, factory, args)
    server.get_mount_points().add_factory(args.path, factory)
    def on_client(_server, client):
        print("CLIENT connected", flush=True)
        client.connect("closed", lambda _c: print("CLIENT closed", flush=True))
        for method in ("options", "get-parameter"):
            name = method.upper().replace("-", "_")
            client.connect(f"{method}-request", lambda _c, _ctx, n=name: print(f"REQUEST {n}", flush=True))
        if args.session_timeout:
            client.connect("new-session", lambda _c, s: s.set_timeout(args.session_timeout))

    server.connect("client-connected", on_client)
    if server.attach(None) == 0:
        print(f"rtsp_server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        sys.exit(2)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
