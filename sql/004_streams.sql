-- Streams: one per RTMP push URL or per GB28181 device channel.
CREATE TABLE IF NOT EXISTS streams (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  group_id      BIGINT UNSIGNED NOT NULL,
  device_id     BIGINT UNSIGNED NULL,
  channel_id    INT UNSIGNED NULL,
  app           VARCHAR(64) NOT NULL,
  name          VARCHAR(128) NOT NULL,
  protocol      ENUM('gb28181', 'rtmp') NOT NULL,
  enabled       TINYINT(1) NOT NULL DEFAULT 1,
  status        ENUM('on', 'off') NOT NULL DEFAULT 'off',
  desired       ENUM('started', 'stopped') NOT NULL DEFAULT 'stopped',
  -- RTMP: vault-sealed push token (bound to the stream id)
  push_token_enc VARBINARY(256) NULL,
  -- vault-sealed object-storage key pair for recordings and snapshots
  access_info_enc VARBINARY(2048) NULL,
  -- the latest session
  start_time    DATETIME NULL,
  stop_time     DATETIME NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  KEY streams_group (tenant_id, group_id, created_at),
  KEY streams_device (device_id),
  KEY streams_status (tenant_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Play-URL AuthKeys a tenant has used (NOTES section 5): the number goes in
-- the URL's uid so the edge verifies with one lookup.
CREATE TABLE IF NOT EXISTS play_auth_keys (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  num           TINYINT UNSIGNED NOT NULL,
  auth_key_enc  VARBINARY(512) NOT NULL,
  -- SHA-256 of the key, to find it without unsealing every row
  auth_key_hash BINARY(32) NOT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, num),
  UNIQUE KEY play_auth_keys_hash (tenant_id, auth_key_hash)
) ENGINE=InnoDB;
