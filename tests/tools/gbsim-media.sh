#!/bin/sh
# Makes gbsim's media files in DIR: h264.h264, h265.h265 (640x360, 25 fps, a
# keyframe every second, no B-frames) and audio.alaw (8 kHz G.711A), SECONDS
# long (default 4). Files already there are kept.
set -eu
dir=${1:?usage: gbsim-media.sh DIR [SECONDS]}
t=${2:-4}
mkdir -p "$dir"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
src="-f lavfi -i testsrc2=size=640x360:rate=25 -t $t"
[ -s "$dir/h264.h264" ] || ff $src -c:v libx264 -g 25 -bf 0 -pix_fmt yuv420p \
	-f h264 "$dir/h264.h264"
[ -s "$dir/h265.h265" ] || ff $src -c:v libx265 -pix_fmt yuv420p \
	-x265-params keyint=25:min-keyint=25:bframes=0:log-level=error \
	-f hevc "$dir/h265.h265"
[ -s "$dir/audio.alaw" ] || ff -f lavfi -i sine=f=440:r=8000 -t "$t" \
	-c:a pcm_alaw -f alaw "$dir/audio.alaw"
