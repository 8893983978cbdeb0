-- Spaces (the spec's "groups"; GROUPS is reserved in SQL) and directories.
CREATE TABLE IF NOT EXISTS spaces (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  name          VARCHAR(128) NOT NULL,
  description   VARCHAR(1024) NOT NULL DEFAULT '',
  region        VARCHAR(64) NOT NULL,
  app           VARCHAR(64) NOT NULL DEFAULT 'live',
  in_protocol   ENUM('gb28181', 'rtmp') NOT NULL,
  -- comma list of flv, hls, rtmp in that order
  out_protocol  VARCHAR(32) NOT NULL,
  lazy_pull     TINYINT(1) NOT NULL DEFAULT 0,
  callback      VARCHAR(1024) NOT NULL DEFAULT '',
  enabled       TINYINT(1) NOT NULL DEFAULT 1,
  -- gb28181 spaces: <10-digit domain> 200 <network> <6-digit serial>
  gb_id         CHAR(20) CHARACTER SET ascii NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY spaces_gb_id (gb_id),
  KEY spaces_tenant_created (tenant_id, created_at),
  KEY spaces_tenant_name (tenant_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS directories (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  group_id      BIGINT UNSIGNED NOT NULL,
  parent_id     BIGINT UNSIGNED NULL,
  name          VARCHAR(128) NOT NULL,
  description   VARCHAR(1024) NOT NULL DEFAULT '',
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY directories_group (tenant_id, group_id, created_at),
  KEY directories_parent (parent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Serials of space GbIds (NOTES section 4: the last 6 digits). A sequence is
-- outside transactions and never hands a value out twice, so a deleted
-- space's GbId is not given to another space whose devices could then
-- register under a stale configuration.
CREATE SEQUENCE IF NOT EXISTS spaces_gb_serial START WITH 1 MINVALUE 1
  MAXVALUE 999999 INCREMENT BY 1 NOCYCLE CACHE 20;
