#!/usr/bin/env python3
"""
Makes the PS/RTP samples of tests/unit/test_ps.c and test_rtp.c.

Two kinds:
- captures from real devices, byte for byte from public hex dumps (each
  with its source below);
- clips generated here: ffmpeg encodes 2 s of testsrc2 as H.264 and H.265
  (25 fps, a keyframe every 25 frames, no B-frames) and a 440 Hz tone as
  G.711A; this script muxes them into PS the way GB28181-2016 Annex C
  devices do and packs the PS into RTP over RFC 4571 framing.

It also writes the seeds of tests/fuzz/fuzz_media.c (corpus_media/).

Usage: tests/data/ps/make.py [--encode]   (--encode re-runs ffmpeg; the
committed .es/.al sources are used otherwise, so the output is stable)
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WRAP = 1 << 33
SSRC = 200001234		# "0200001234", a GB28181 live SSRC


def out(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def hexb(s):
    return bytes.fromhex(" ".join(s.split()))


def rfc4571(packets):
    return b"".join(len(p).to_bytes(2, "big") + p for p in packets)


# --------------------------------------------------------------------------
# Real captures

# Hikvision-style camera (HK descriptors, private stream 0xbd) over RTP:
# ossrs/srs trunk/src/utest/srs_utest_kernel2.cpp, TEST(KernelPSTest,
# PsPacketDecodeNormal), "Payload of GB28181 camera PS stream". The bytes
# that test leaves out of the large IDR, the 0xbd PES and the audio and P
# frames are SRS's filler 'x' (0x78), kept as is; its packets "seq 1 to 8"
# all carry sequence number 1, also kept (they are duplicates to RTP).
def srs_hik():
    hdr = lambda seq, ts: bytes([0x80, 0x60]) + seq.to_bytes(2, "big") + \
        ts.to_bytes(4, "big") + hexb("0b eb df a1")
    p0 = hexb("""
        80 60 00 00 00 00 00 00 0b eb df a1 00 00 01 ba
        44 68 6e 4c 94 01 01 30 13 fe ff ff 00 00 a0 05
        00 00 01 bb 00 12 80 98 09 04 e1 7f e0 e0 80 c0
        c0 08 bd e0 80 bf e0 80 00 00 01 bc 00 5e fc ff
        00 24 40 0e 48 4b 01 00 16 9b a5 22 2e f7 00 ff
        ff ff 41 12 48 4b 00 01 02 03 04 05 06 07 08 09
        0a 0b 0c 0d 0e 0f 00 30 1b e0 00 1c 42 0e 07 10
        10 ea 02 80 01 e0 11 30 00 00 1c 20 2a 0a 7f ff
        00 00 07 08 1f fe 50 3c 0f c0 00 0c 43 0a 00 90
        fe 02 b1 13 01 f4 03 ff cb 85 54 b9 00 00 01 e0
        00 26 8c 80 07 21 1a 1b 93 25 ff fc 00 00 00 01
        67 4d 00 1e 9d a8 28 0f 69 b8 08 08 0a 00 00 03
        00 02 00 00 03 00 65 08 00 00 01 e0 00 0e 8c 00
        03 ff ff fc 00 00 00 01 68 ee 3c 80 00 00 01 e0
        00 0e 8c 00 02 ff fc 00 00 00 01 06 e5 01 ba 80
        00 00 01 e0 35 62 8c 00 02 ff f8 00 00 00 01 65""") + b"x" * 1156
    pkts = [p0]
    pkts += [hdr(1, 0) + b"x" * 1400 for _ in range(8)]
    pkts.append(hdr(9, 0) + b"x" * 1300 + hexb("""
        00 00 01 bd 00 6a 8c 80 07 21 1a 1b 93 25 ff f8
        00 02 00 17 00 01 80 00 00 ff a0 05 e0 f1 f0 50
        18 52 d6 5c a2 78 90 23 f9 f6 64 ba c7 90 5e d3
        80 2f 29 ad 06 ee 14 62 ec 6f 77 aa 71 80 b3 50
        b8 d1 85 7f 44 30 4f 44 fd cd 21 e6 55 36 08 6c
        b8 d1 85 7f 44 30 4f 44 fd cd 21 e6 55 36 08 6c
        c9 f6 5c 74"""))
    pkts.append(hdr(10, 0) + hexb("57 b3 a3 bc 16 2c 3c 9e 69 89 48 a4"))
    pkts.append(hdr(11, 3600) + hexb("""
        00 00 01 c0
        00 82 8c 80 09 21 1a 1b a3 51 ff ff ff f8 ff f9
        50 40 0e df fc 01 2c 2e 84 28 23 0a 85 82 a2 40
        90 50 2c 14 0b 05 42 41 30 90 44 28 16 08 84 82""") + b"x" * 84)
    pkts.append(hdr(12, 3600) + hexb("""
        00 00 01 c0
        00 8a 8c 80 09 21 1a 1b b3 7d ff ff ff f8 ff f9
        50 40 0f df fc 01 2c 2e 88 2a 13 0a 09 82 41 10
        90 58 26 14 13 05 02 c2 10 a0 58 4a 14 0a 85 02""") + b"x" * 92)
    pkts.append(hdr(13, 3600) + hexb("""
        00 00 01 ba
        44 68 6e bd 14 01 01 30 13 fe ff ff 00 00 a0 06
        00 00 01 e0 03 4a 8c 80 08 21 1a 1b af 45 ff ff
        f8 00 00 00 01 61 e0 08 bf 3c b6 63 68 4b 7f ea""") + b"x" * 816)
    return rfc4571(pkts)


# Dahua dome camera, firmware without audio in the map: the first RTP
# packet and the start of the second (the dump ends there), from
# https://github.com/ossrs/srs/issues/2565 (2021-09-01).
DAHUA = [hexb("""
    80 60 00 01 00 00 0e 10 0b eb c2 7d 00 00 01 ba
    44 00 04 00 04 01 00 5f 6b f8 00 00 01 bb 00 0c
    80 cc f5 04 e1 7f e0 e0 e8 c0 c0 20 00 00 01 bc
    00 1e e1 ff 00 00 00 14 1b e0 00 0c 2a 0a 7f ff
    00 00 07 08 1f fe a0 5a 00 00 00 00 00 00 00 00
    00 00 01 e0 7f e0 80 80 05 21 00 01 00 01"""), hexb("""
    80 60 00 02 00 00 0e 10 0b eb c2 7d 00 00 00 01
    67 64 00 1f ac 2c 6a 81 40 16 e9 b8 28 08 2a 00
    00 03 00 02 00 00 03 00 65 08 00 00 00 01 68 ee""")]

# Hikvision (NET_DVR stream data, the same PS as its GB28181 output) with
# G.711U audio (stream_type 0x91) in the map; the dump ends inside the IDR
# PES. From http://bubuko.com/infodetail-364881.html (after
# blog.csdn.net/wwyyxx26/article/details/15224879).
HIK_G711U = hexb("""
    00 00 01 BA 46 E6 6C A1 14 01 00 00 03 FE FF FF 00 00 00 01
    00 00 01 BC 00 5A E0 FF 00 24 40 0E 48 4B 00 01 0E 30 C2 0D
    A0 07 FF FF FF FF 41 12 48 4B 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 2C 1B E0 00 10 42 0E 00 00 A0 21 01 60
    01 20 12 1F FF 00 3A 99 91 C0 00 0C 43 0A 00 00 FE 00 7D 03
    03 E8 03 FF BD BD 00 00 BF BF 00 00 00 00 00 00 00 00 01 E0
    00 1A 8C 80 0A 21 B9 9B 28 45 FF FF FF FF FC 00 00 00 01 67
    42 00 14 95 A8 58 25 90 00 00 01 E0 00 0E 8C 00 03 FF FF FC
    00 00 00 01 68 CE 3C 80 00 00 01 E0 13 FA 8C 00 02 FF FD 00
    00 00 01 65 B8 00""")

# A Hikvision PSM with AAC audio (0x0f), 1280x720 in its video descriptor,
# from https://www.cnblogs.com/feixiang-energy/p/17735762.html ("海康PSM分析").
HIK_PSM_AAC = hexb("""
    00 00 01 BC 00 5A E0 FF 00 24 40 0E 48 4B 00 00 17 9D 3E B4
    60 00 00 FF FF FF 41 12 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 2C 1B E0 00 10 42 0E 00 00 A0 21 05 00
    02 D0 12 1C 3F 00 1C 21 0F C0 00 0C 43 0A 00 00 FE 00 FA 03
    01 F4 03 FF BD BD 00 00 BF BF 00 00 00 00 00 00""")


# --------------------------------------------------------------------------
# Generated clips

def encode():
    lav = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi"]
    video = ["-i", "testsrc2=size=320x240:rate=25", "-t", "2",
             "-pix_fmt", "yuv420p"]
    subprocess.check_call(lav + video + [
        "-c:v", "libx264", "-g", "25", "-bf", "0", "-crf", "32",
        "-x264-params", "scenecut=0", "-f", "h264",
        os.path.join(HERE, "h264.es")])
    subprocess.check_call(lav + video + [
        "-c:v", "libx265", "-crf", "34", "-x265-params",
        "keyint=25:min-keyint=25:bframes=0:scenecut=0:log-level=error",
        "-f", "hevc", os.path.join(HERE, "h265.es")])
    subprocess.check_call(lav + [
        "-i", "sine=frequency=440:sample_rate=8000", "-t", "2",
        "-c:a", "pcm_alaw", "-f", "alaw", os.path.join(HERE, "g711a.al")])


def nal_units(es):
    """(start of the start code, start of the NAL header) of each NAL."""
    i, n, res = 0, len(es), []
    while True:
        j = es.find(b"\x00\x00\x01", i)
        if j < 0:
            return res
        s = j - 1 if j > 0 and es[j - 1] == 0 else j
        res.append((s, j + 3))
        i = j + 3


def access_units(es, hevc):
    """Splits Annex B at access unit boundaries (H.264 7.4.1.2.3,
    H.265 7.4.2.4.4): the concatenation is the input."""
    starts, vcl = [], False
    for s, h in nal_units(es):
        if hevc:
            t = es[h] >> 1 & 0x3f
            is_vcl = t < 32
            first = is_vcl and es[h + 2] & 0x80
            opens = t in (32, 33, 34, 35, 39) or 41 <= t <= 44 or \
                48 <= t <= 55
        else:
            t = es[h] & 0x1f
            is_vcl = 1 <= t <= 5
            first = is_vcl and es[h + 1] & 0x80
            opens = t in (6, 7, 8, 9) or 14 <= t <= 18
        if not starts or (vcl and (opens or first)):
            starts.append(s)
            vcl = False
        vcl = vcl or is_vcl
    starts.append(len(es))
    return [es[a:b] for a, b in zip(starts, starts[1:])]


def is_key(au, hevc):
    for s, h in nal_units(au):
        t = au[h] >> 1 & 0x3f if hevc else au[h] & 0x1f
        if (hevc and 16 <= t <= 21) or (not hevc and t == 5):
            return True
    return False


def ts5(prefix, t):
    t %= WRAP
    return bytes([prefix << 4 | (t >> 29 & 0x0e) | 1, t >> 22 & 0xff,
                  (t >> 14 & 0xfe) | 1, t >> 7 & 0xff, (t << 1 & 0xfe) | 1])


def crc32_mpeg(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = (crc << 1 ^ 0x04c11db7 if crc & 0x80000000 else crc << 1)
            crc &= 0xffffffff
    return crc


def pack_header(scr, stuffing=b""):
    scr %= WRAP
    mux = 6106			# 50-byte units/s, ~2.4 Mbit/s
    return bytes([0, 0, 1, 0xba,
                  0x40 | (scr >> 27 & 0x38) | 0x04 | (scr >> 28 & 0x03),
                  scr >> 20 & 0xff,
                  (scr >> 12 & 0xf8) | 0x04 | (scr >> 13 & 0x03),
                  scr >> 5 & 0xff,
                  (scr << 3 & 0xf8) | 0x04, 0x01,
                  mux >> 14 & 0xff, mux >> 6 & 0xff, (mux << 2 & 0xfc) | 3,
                  0xf8 | len(stuffing)]) + stuffing


def system_header():
    body = bytes([0x80, 0x2f, 0xb5,	# marker, rate_bound, marker
                  0x04,			# audio_bound 1, fixed 0, CSPS 0
                  0xe1,			# locks, marker, video_bound 1
                  0xff,			# packet_rate_restriction, reserved
                  0xe0, 0xe0, 0xe8,	# video: buffer scale 1, 232 kB
                  0xc0, 0xc0, 0x20])	# audio: buffer scale 0, 4 kB
    return b"\x00\x00\x01\xbb" + len(body).to_bytes(2, "big") + body


def psm(vtype):
    es_map = bytes([vtype, 0xe0, 0, 0, 0x90, 0xc0, 0, 0])
    body = bytes([0xe0, 0xff, 0, 0]) + len(es_map).to_bytes(2, "big") + es_map
    unit = b"\x00\x00\x01\xbc" + (len(body) + 4).to_bytes(2, "big") + body
    return unit + crc32_mpeg(unit).to_bytes(4, "big")


def pes(sid, data, pts=None, dts=None):
    if pts is None:
        opt = bytes([0x80, 0x00, 0])
    elif dts is None:
        opt = bytes([0x84, 0x80, 5]) + ts5(2, pts)
    else:
        opt = bytes([0x84, 0xc0, 10]) + ts5(3, pts) + ts5(1, dts)
    body = opt + data
    return b"\x00\x00\x01" + bytes([sid]) + len(body).to_bytes(2, "big") + body


def video_pes(au, pts, dts, size):
    """A frame in PES of at most size bytes, the PTS on the first only."""
    res = b""
    for i in range(0, len(au), size):
        if i == 0:
            res += pes(0xe0, au[i:i + size], pts, dts)
        else:
            res += pes(0xe0, au[i:i + size])
    return res


class Rtp:
    def __init__(self, seq, variety):
        self.seq, self.variety, self.n, self.packets = seq, variety, 0, []

    def send(self, ps, ts, mtu=1400):
        for i in range(0, len(ps), mtu):
            chunk = ps[i:i + mtu]
            last = i + mtu >= len(ps)
            b0, ext, csrc, pad = 0x80, b"", b"", b""
            if self.variety and self.n == 0:
                b0 |= 0x10	# a header extension, one word
                ext = hexb("ab ac 00 01 01 02 03 04")
            if self.variety and self.n % 7 == 3:
                b0 |= 0x20	# padding
                pad = hexb("00 00 00 04")
            if self.variety and self.n % 11 == 5:
                b0 |= 0x01	# a contributing source
                csrc = (SSRC + 1).to_bytes(4, "big")
            hdr = bytes([b0, (0x80 if last else 0) | 96]) + \
                self.seq.to_bytes(2, "big") + \
                (ts % (1 << 32)).to_bytes(4, "big") + SSRC.to_bytes(4, "big")
            self.packets.append(hdr + csrc + ext + chunk + pad)
            self.seq = (self.seq + 1) & 0xffff
            self.n += 1


def clip(es, audio, hevc, base, seq):
    """PS of a clip over RTP: each frame in its pack (system header and
    map before keyframes), then 40 ms of audio; H.264 puts the audio in
    its own pack like Hikvision, H.265 right after the video like the
    SRS capture and sends DTS too."""
    aus = access_units(es, hevc)
    rtp = Rtp(seq, hevc)
    ps_all = b""
    for i, au in enumerate(aus):
        pts = base + i * 3600
        stuffing = hexb("ff ff 00 00 00") + bytes([i & 0xff]) if hevc \
            else b""
        v = pack_header(pts - 3600, stuffing)
        if is_key(au, hevc):
            v += system_header() + psm(0x24 if hevc else 0x1b)
        v += video_pes(au, pts, pts if hevc else None,
                       3000 if hevc else 1500)
        a = pes(0xc0, audio[i * 320:(i + 1) * 320], pts)
        if not hevc:
            a = pack_header(pts - 3600) + a
        if i == len(aus) - 1:
            a += b"\x00\x00\x01\xb9"
        if hevc:
            rtp.send(v + a, pts)
        else:
            rtp.send(v, pts)
            rtp.send(a, pts)
        ps_all += v + a
    return aus, ps_all, rfc4571(rtp.packets)


def ps_payloads(rtp):
    """The PS in an RFC 4571 file of RTP packets."""
    i, ps = 0, b""
    while i < len(rtp):
        n = int.from_bytes(rtp[i:i + 2], "big")
        p = rtp[i + 2:i + 2 + n]
        i += 2 + n
        off = 12 + 4 * (p[0] & 15)
        if p[0] & 0x10:
            off += 4 + 4 * int.from_bytes(p[off + 2:off + 4], "big")
        ps += p[off:len(p) - (p[-1] if p[0] & 0x20 else 0)]
    return ps


def first_packets(rtp, k):
    i = 0
    for _ in range(k):
        i += 2 + int.from_bytes(rtp[i:i + 2], "big")
    return rtp[:i]


def corpus(h264, h265):
    """Seeds of tests/fuzz/fuzz_media.c: a mode byte, a chunk byte, input."""
    d = os.path.join(HERE, "..", "..", "fuzz", "corpus_media")
    os.makedirs(d, exist_ok=True)
    pk = []
    i = 0
    while len(pk) < 6:
        n = int.from_bytes(h264[i:i + 2], "big")
        pk.append(h264[i:i + 2 + n])
        i += 2 + n
    mpeg1 = hexb("00 00 01 ba 21 00 01 00 01 80 00 01 00 00 01 e0 00 14"
                 " ff ff 21 00 01 38 41 00 00 00 01 67 42 00 00 00 01 65"
                 " 88 84 00 00 01 c0 00 06 40 20 0f d5 d5 55")
    seeds = {
        "rtp_stream_h264": b"\x01\xff" + first_packets(h264, 8),
        "rtp_stream_h265": b"\x11\x63" + first_packets(h265, 4),
        "rtp_stream_srs": b"\x01\x7f" + srs_hik(),
        "rtp_stream_dahua": b"\x01\x00" + rfc4571(DAHUA),
        "rtp_dgram_h264": b"\x10\x00" + b"".join(pk[j] for j in
                                                  (0, 2, 1, 3, 5, 4)),
        "ps_hik_g711u": b"\x02\x0f" + HIK_G711U,
        "ps_hik_psm_aac": b"\x02\xff" + HIK_PSM_AAC,
        "ps_h264": b"\x62\x3f" + ps_payloads(first_packets(h264, 8)),
        "ps_h265": b"\x42\xff" + ps_payloads(first_packets(h265, 5)),
        "ps_mpeg1": b"\x02\xff" + mpeg1,
        "rtp_header": b"\x03\x00" + hexb(
            "b1 e0 12 34 de ad be ef 0b eb c6 d2 00 00 00 01 be de 00 01"
            " 01 02 03 04 00 00 01 ba 00 00 02"),
    }
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    if "--encode" in sys.argv:
        encode()
    out("srs_hik.rtp", srs_hik())
    out("dahua.rtp", rfc4571(DAHUA))
    out("hik_g711u.ps", HIK_G711U)
    out("hik_psm_aac.ps", HIK_PSM_AAC)
    audio = open(os.path.join(HERE, "g711a.al"), "rb").read()
    clips = {}
    for name, hevc, base, seq in (("h264", False, WRAP - 10 * 3600, 65500),
                                  ("h265", True, 90000, 1000)):
        es = open(os.path.join(HERE, name + ".es"), "rb").read()
        aus, ps, rtp = clip(es, audio, hevc, base, seq)
        out(name + ".rtp", rtp)
        keys = [i for i, au in enumerate(aus) if is_key(au, hevc)]
        print("%s: %d frames, keys %s, es %d, ps %d, rtp %d bytes" %
              (name, len(aus), keys, len(es), len(ps), len(rtp)))
        clips[name] = rtp
    corpus(clips["h264"], clips["h265"])


if __name__ == "__main__":
    main()
