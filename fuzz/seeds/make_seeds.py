#!/usr/bin/env python3
"""Writes the hand-made seed inputs into fuzz/corpus/<target>/ (run from anywhere).

The structured targets (turn_core) take `arbitrary` bytes, so their seeds are whatever the
fuzzer kept; the others get real protocol messages here. Re-running overwrites only the
files it writes (seed-*)."""
import json, os, struct, zlib, hmac, hashlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def j(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


BODIES = {
    "login": {"id_name": "u1", "nick_name": "Nick", "role": 1, "token": "tok", "version": "1.9.0",
              "room_name": "r1", "user_state_flag": 1, "room_create_flag": 1, "client_type": 3,
              "third_token": ""},
    "logout": {},
    "hb": {"reserve": 0},
    "stream_info": {},
    "stream": {"sub_cmd": 2001, "stream_msg": j({"stream_id": "s1", "extra_info": "x"})},
    "user_list": {"user_index": 0, "sort_type": 0},
    "custommsg": {"dest_id_name": ["u2"], "custom_msg": j({"from_userid": "u1", "from_username": "N",
                  "request_id": "u1-1", "custom_content": {"a": 1}, "room_id": "r1"})},
    "im_chat": {"msg_category": 1, "msg_type": 1, "msg_content": "hello 你好"},
    "signal": {"sub_cmd": 1001, "dest_id_name": ["u2"], "signal_msg": j({"request_id": "u1-2",
               "room_id": "r1", "from_userid": "u1", "from_username": "N", "to_userid": "u2"})},
    "trans": {"trans_type": "t", "trans_data": "d", "trans_local_seq": 0, "trans_channel": "clt"},
    "trans_fetch": {"trans_channel": "clt", "fetch_array": [{"trans_type": "t", "trans_seq": 0}]},
    "bigim_chat": {"msgs": [{"msg_category": 1, "msg_type": 1, "msg_content": "m",
                             "bigmsg_client_id": "c1"}]},
    "relay": {"relay_type": "t", "relay_data": "d"},
    "webrtc_url": {"stream_id": "s1", "ptype": "push", "signals": [],
                   "header_kvs": [{"key": "grpc-metadata-push", "value": "{}"}]},
    "biz_channel": {"channel": "zeus", "cmd": "start_mix", "req_body": j({"id": "m1"})},
}
COMMANDS = ["login", "logout", "hb", "stream_info", "stream", "user_list", "custommsg", "im_chat",
            "signal", "trans", "trans_fetch", "bigim_chat", "relay", "webrtc_url", "biz_channel"]

# proto_frame: whole frames.
for i, cmd in enumerate(COMMANDS):
    frame = {"header": {"Protocol": "req", "cmd": cmd, "appid": 1739272706, "seq": i + 1,
                        "user_id": "11" if cmd != "login" else "", "session_id": 22,
                        "room_id": "r1"}, "body": BODIES[cmd]}
    put("proto_frame", cmd, j(frame))
put("proto_frame", "nobody", j({"header": {"cmd": "hb", "user_id": None}}))

# proto_body: selector byte + body.
SEL = {"login": 0, "stream": 1, "user_list": 3, "custommsg": 4, "im_chat": 6, "signal": 7,
       "trans": 9, "trans_fetch": 10, "relay": 12, "bigim_chat": 13, "biz_channel": 14,
       "webrtc_url": 15}
for cmd, sel in SEL.items():
    put("proto_body", cmd, bytes([sel]) + j(BODIES[cmd]).encode())
put("proto_body", "stream_msg", bytes([2]) + BODIES["stream"]["stream_msg"].encode())
put("proto_body", "custom_env", bytes([5]) + BODIES["custommsg"]["custom_msg"].encode())
put("proto_body", "signal_msg", bytes([8]) + BODIES["signal"]["signal_msg"].encode())
put("proto_body", "fetch_item", bytes([11]) + j({"trans_type": "t", "trans_seq": 3}).encode())
put("proto_body", "id", bytes([17]) + "user-\u202e1".encode())

# room_commands: records "\n"-separated; byte0 = key-1 | op<<3 | flag<<6; op 0/1 = command
# (next byte = index into COMMANDS), 2 disconnect, 3 time, 4 kick, 5 leave, 6 close, 7 queries.
def rec(key, op, arg=b"", flag=False):
    return bytes([(key - 1) | (op << 3) | (0x40 if flag else 0)]) + arg


def cmd(key, name, body=None):
    b = j(BODIES[name] if body is None else body).encode()
    return rec(key, 0, bytes([COMMANDS.index(name)]) + b)


def login(key, id_name, role=1):
    return cmd(key, "login", dict(BODIES["login"], id_name=id_name, role=role))


session = [
    login(1, "u1"), login(2, "u2", 2), cmd(1, "stream"), cmd(2, "stream_info"),
    cmd(1, "im_chat"), cmd(1, "custommsg", dict(BODIES["custommsg"], dest_id_name=["u2", "u2"])),
    cmd(1, "signal"), cmd(1, "trans"), cmd(2, "trans_fetch"), cmd(2, "bigim_chat"),
    rec(1, 3, bytes([30])), cmd(2, "user_list"), cmd(1, "hb"), rec(2, 2), rec(1, 3, bytes([40]), True),
    login(3, "u2", 2), rec(1, 4, b"u2"), rec(1, 7), cmd(1, "logout"), rec(1, 6),
]
put("room_commands", "session", b"\n".join(session))
put("room_commands", "full", b"\n".join([login(k, "u%d" % k) for k in range(1, 9)]))
put("room_commands", "timeouts", b"\n".join([login(1, "a"), rec(1, 2), rec(1, 3, bytes([255]), True),
                                             rec(1, 3, bytes([255]), True), cmd(1, "hb")]))

# STUN / TURN messages.
MAGIC = 0x2112A442


def stun(method, cls, attrs, txid=b"0123456789ab", key=None, fp=True):
    t = ((method & 0x0F80) << 2) | ((method & 0x0070) << 1) | (method & 0x000F) | \
        ((cls & 2) << 7) | ((cls & 1) << 4)
    body = b""
    for at, v in attrs:
        body += struct.pack(">HH", at, len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)
    if key is not None:
        hdr = struct.pack(">HHI", t, len(body) + 24, MAGIC) + txid
        mac = hmac.new(key, hdr + body, hashlib.sha1).digest()
        body += struct.pack(">HH", 0x0008, 20) + mac
    if fp:
        hdr = struct.pack(">HHI", t, len(body) + 8, MAGIC) + txid
        crc = (zlib.crc32(hdr + body) & 0xFFFFFFFF) ^ 0x5354554E
        body += struct.pack(">HHI", 0x8028, 4, crc)
    return struct.pack(">HHI", t, len(body), MAGIC) + txid + body


def xor_addr(ip4, port):
    p = port ^ (MAGIC >> 16)
    a = struct.unpack(">I", bytes(ip4))[0] ^ MAGIC
    return struct.pack(">BBHI", 0, 1, p, a)


user = b"1700003600:alice"
key = hashlib.md5(user + b":liveroom:pw").digest()
put("turn_stun", "binding", stun(0x001, 0, []))
put("turn_stun", "allocate", stun(0x003, 0, [(0x0019, bytes([17, 0, 0, 0]))], fp=False))
put("turn_stun", "allocate_auth", stun(0x003, 0, [(0x0019, bytes([17, 0, 0, 0])), (0x0006, user),
                                                  (0x0014, b"liveroom"), (0x0015, b"nonce")], key=key))
put("turn_stun", "permission", stun(0x008, 0, [(0x0012, xor_addr([203, 0, 113, 5], 4000))], key=key))
put("turn_stun", "channel_bind", stun(0x009, 0, [(0x000C, struct.pack(">HH", 0x4001, 0)),
                                                 (0x0012, xor_addr([203, 0, 113, 5], 4000))], key=key))
put("turn_stun", "send", stun(0x006, 1, [(0x0012, xor_addr([203, 0, 113, 5], 4000)), (0x0013, b"hi")],
                              fp=False))
put("turn_stun", "error", stun(0x003, 3, [(0x0009, bytes([0, 0, 4, 1]) + b"Unauthorized"),
                                          (0x0014, b"liveroom"), (0x0015, b"n")]))
put("turn_stun", "channel_data", struct.pack(">HH", 0x4001, 5) + b"hello\0\0\0")
put("turn_stun", "tcp_stream", stun(0x001, 0, []) + struct.pack(">HH", 0x4001, 2) + b"ab\0\0" +
    stun(0x004, 0, [(0x000D, struct.pack(">I", 0))]))

# media_keyframe: selector (0 H.264, 1 VP8) + payload.
put("media_keyframe", "h264_idr", bytes([0, 0x65, 0x88, 0x84]))
put("media_keyframe", "h264_stapa", bytes([0, 0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce]))
put("media_keyframe", "h264_fua", bytes([0, 0x7c, 0x85, 0x88]))
put("media_keyframe", "vp8_key", bytes([1, 0x90, 0x80, 0x12, 0x34, 0x00]))
put("media_keyframe", "vp8_ext", bytes([1, 0x90, 0xf0, 0x81, 0x02, 0x03, 0x04, 0x00]))

# media_sdp: a browser's offers.
OFFER = "\r\n".join([
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
    "a=group:BUNDLE 0 1", "a=extmap-allow-mixed", "a=msid-semantic: WMS stream",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx", "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=sendonly",
    "a=msid:stream track-a", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtpmap:0 PCMU/8000",
    "a=ssrc:1111 cname:c1", "a=ssrc:1111 msid:stream track-a",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx", "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=mid:1",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "a=sendonly",
    "a=msid:stream track-v", "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtcp-fb:96 ccm fir",
    "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", "a=rtpmap:102 H264/90000",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "a=rtpmap:103 rtx/90000", "a=fmtp:103 apt=102", "a=ssrc-group:FID 2222 3333",
    "a=ssrc:2222 cname:c1", "a=ssrc:3333 cname:c1", ""])
put("media_sdp", "publish_offer", OFFER)
put("media_sdp", "play_offer", OFFER.replace("a=sendonly", "a=recvonly")
    .replace("a=msid:stream track-a\r\n", "").replace("a=msid:stream track-v\r\n", ""))
put("media_sdp", "ice_check", stun(0x001, 0, [(0x0006, b"srvufrag:abcd"), (0x0024, b"\x6e\x7f\x1e\xff"),
                                              (0x0025, b"")], key=b"abcdefghijklmnopqrstuvwx"))

# live_rtp: RTP packets.
def rtp(pt, seq, ts, payload, cc=0, ext=None, pad=0, marker=False):
    b0 = 0x80 | cc | (0x10 if ext is not None else 0) | (0x20 if pad else 0)
    p = struct.pack(">BBHII", b0, pt | (0x80 if marker else 0), seq, ts, 0x1234) + b"\0\0\0\1" * cc
    if ext is not None:
        p += struct.pack(">HH", 0xBEDE, len(ext) // 4) + ext
    p += payload
    if pad:
        p += b"\0" * (pad - 1) + bytes([pad])
    return p


put("live_rtp", "plain", rtp(96, 1, 90000, b"\x90\x80\x12\x34"))
put("live_rtp", "ext_pad", rtp(111, 2, 960, b"opus", cc=2, ext=b"\x10\x01\x00\x00", pad=4, marker=True))

# live_flv: chunk size byte + an FLV stream (header, script tag, AVC seq header, key frame).
def flv_tag(t, ts, data):
    tag = struct.pack(">B", t) + struct.pack(">I", len(data))[1:] + struct.pack(">I", ts)[1:] + \
        bytes([ts >> 24 & 0xff]) + b"\0\0\0" + data
    return tag + struct.pack(">I", len(tag))


flv = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00" + flv_tag(18, 0, b"\x02\x00\x0aonMetaData") + \
    flv_tag(9, 0, b"\x17\x00\x00\x00\x00\x01\x42") + flv_tag(8, 0, b"\xaf\x00\x12\x10") + \
    flv_tag(9, 40, b"\x17\x01\x00\x00\x00\x65") + flv_tag(9, 80, b"\x27\x01\x00\x00\x00\x41")
put("live_flv", "stream_whole", b"\xff" + flv)
put("live_flv", "stream_chunks", b"\x06" + flv)

# live_paths: selector (0 segment name, 1 push URL, 2 playlist) + text.
put("live_paths", "segment", b"\x00segment00012.ts")
put("live_paths", "segment_trick", b"\x00segment/../1.ts")
put("live_paths", "url", b"\x01rtmp://cdn.example/live/key?x=1")
put("live_paths", "playlist", b"\x02#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsegment00001.ts\n")
