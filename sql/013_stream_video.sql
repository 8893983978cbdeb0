-- What a live stream carries, as the edge reports it: browsers cannot
-- decode some profiles (H.264 High 4:4:4, High 10, 4:2:2), so DescribeStream
-- shows them. Kept after the stream stops; shown only while it is on.
ALTER TABLE streams
    ADD COLUMN IF NOT EXISTS video_codec VARCHAR(8) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS video_profile VARCHAR(24) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS width INT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS height INT UNSIGNED NOT NULL DEFAULT 0;
