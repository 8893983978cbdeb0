-- GB28181 devices (cameras, NVRs, platforms, IEDs) and their channels.
CREATE TABLE IF NOT EXISTS devices (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  group_id      BIGINT UNSIGNED NOT NULL,
  parent_id     BIGINT UNSIGNED NULL,
  directory_id  BIGINT UNSIGNED NULL,
  type          ENUM('ipc', 'platform', 'ied') NOT NULL,
  name          VARCHAR(128) NOT NULL DEFAULT '',
  description   VARCHAR(1024) NOT NULL DEFAULT '',
  gb_id         CHAR(20) CHARACTER SET ascii NOT NULL,
  username      VARCHAR(128) NOT NULL,
  -- vault-sealed (bound to the device id): sipd needs it for digest auth
  password_enc  VARBINARY(512) NOT NULL,
  ip            VARCHAR(64) NOT NULL DEFAULT '',
  port          INT NOT NULL DEFAULT 0,
  vendor        VARCHAR(64) NOT NULL DEFAULT '',
  longitude     VARCHAR(32) NOT NULL DEFAULT '',
  latitude      VARCHAR(32) NOT NULL DEFAULT '',
  auto_start    TINYINT(1) NOT NULL DEFAULT 0,
  auto_pos      TINYINT(1) NOT NULL DEFAULT 0,
  pos_interval  INT NOT NULL DEFAULT 300,
  alarm_method  VARCHAR(16) NOT NULL DEFAULT '',
  params        TEXT NOT NULL,
  enabled       TINYINT(1) NOT NULL DEFAULT 1,
  status        ENUM('new', 'on', 'off', 'failed') NOT NULL DEFAULT 'new',
  -- desired state set by Start/StopDevice: the daemons converge on it
  desired       ENUM('started', 'stopped') NOT NULL DEFAULT 'stopped',
  auth_failures INT NOT NULL DEFAULT 0,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY devices_group_gb (group_id, gb_id),
  KEY devices_group_created (tenant_id, group_id, created_at),
  -- DescribeDevices' default order (by id) pages without a filesort
  KEY devices_group_id (tenant_id, group_id, id),
  KEY devices_group_status (tenant_id, group_id, status, created_at),
  KEY devices_parent (parent_id),
  KEY devices_directory (directory_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Channel ids are positive integers (NOTES section 4).
CREATE TABLE IF NOT EXISTS channels (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  device_id     BIGINT UNSIGNED NOT NULL,
  gb_id         CHAR(20) CHARACTER SET ascii NOT NULL,
  name          VARCHAR(128) NOT NULL DEFAULT '',
  -- the stream this channel feeds (streams.channel_id points back)
  stream_id     BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY channels_device_gb (device_id, gb_id),
  KEY channels_tenant (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
