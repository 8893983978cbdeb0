-- The media plane: the callback outbox and usage buckets.

-- Events for a space's Callback URL (NOTES section 6), written in the same
-- transaction as the status change they report; vigil-notifyd delivers them
-- in id order per resource, retrying with backoff for 24 h.
CREATE TABLE IF NOT EXISTS outbox (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  group_id      BIGINT UNSIGNED NOT NULL,
  -- the device or stream the event is about: delivery is ordered per it
  resource_id   BIGINT UNSIGNED NOT NULL,
  url           VARCHAR(1024) NOT NULL,
  body          TEXT NOT NULL,
  state         ENUM('pending', 'done', 'dead') NOT NULL DEFAULT 'pending',
  attempts      INT NOT NULL DEFAULT 0,
  next_attempt  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_error    VARCHAR(512) NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY outbox_due (state, next_attempt),
  KEY outbox_resource (resource_id, state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Bytes per stream and 5-minute bucket (UTC start), by direction: in (the
-- publisher), out (all viewers), and per protocol for the statistics issue.
CREATE TABLE IF NOT EXISTS stream_usage (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  stream_id     BIGINT UNSIGNED NOT NULL,
  bucket        DATETIME NOT NULL,
  bytes_in      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  bytes_out_rtmp BIGINT UNSIGNED NOT NULL DEFAULT 0,
  bytes_out_flv BIGINT UNSIGNED NOT NULL DEFAULT 0,
  bytes_out_hls BIGINT UNSIGNED NOT NULL DEFAULT 0,
  peak_viewers  INT NOT NULL DEFAULT 0,
  PRIMARY KEY (stream_id, bucket),
  KEY stream_usage_tenant (tenant_id, bucket)
) ENGINE=InnoDB;

-- One row per viewer session of HTTP-FLV served by mediad (per-viewer
-- bytes; closed when the viewer leaves).
CREATE TABLE IF NOT EXISTS viewer_sessions (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  stream_id     BIGINT UNSIGNED NOT NULL,
  protocol      ENUM('rtmp', 'flv', 'hls') NOT NULL,
  addr          VARCHAR(64) NOT NULL DEFAULT '',
  bytes         BIGINT UNSIGNED NOT NULL DEFAULT 0,
  started_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  ended_at      DATETIME(3) NULL,
  KEY viewer_sessions_stream (stream_id, started_at)
) ENGINE=InnoDB;
