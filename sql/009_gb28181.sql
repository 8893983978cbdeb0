-- GB28181: what sipd learns of devices, media sessions between sipd and
-- mediad, positions and alarms; jobs that wait (retry with backoff).

ALTER TABLE devices
  ADD COLUMN IF NOT EXISTS model VARCHAR(64) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS firmware VARCHAR(64) NOT NULL DEFAULT '',
  -- the first of the current run of failed authentications (lockout window)
  ADD COLUMN IF NOT EXISTS auth_fail_first DATETIME(3) NULL;

ALTER TABLE jobs
  -- not claimed before this time (NULL: at once)
  ADD COLUMN IF NOT EXISTS run_after DATETIME(3) NULL;

-- A registered device's SIP contact, kept by the sipd that registered it.
CREATE TABLE IF NOT EXISTS gb_registrations (
  device_id     BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  group_id      BIGINT UNSIGNED NOT NULL,
  transport     ENUM('udp', 'tcp') NOT NULL,
  -- where requests to the device go (its Contact, or the source address)
  contact_ip    VARCHAR(64) NOT NULL,
  contact_port  INT NOT NULL,
  expires_at    DATETIME(3) NOT NULL,
  keepalive_at  DATETIME(3) NOT NULL,
  -- the sipd instance (hostname:pid) holding the registration
  owner         VARCHAR(128) NOT NULL,
  registered_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY gb_registrations_owner (owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One media session per stream: mediad (which claimed stream.start) writes
-- where it receives, sipd INVITEs the device to send there and keeps the
-- dialog to BYE it.
CREATE TABLE IF NOT EXISTS gb_sessions (
  stream_id     BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  device_id     BIGINT UNSIGNED NOT NULL,
  channel_gb_id CHAR(20) CHARACTER SET ascii NOT NULL,
  kind          ENUM('play', 'playback') NOT NULL DEFAULT 'play',
  -- playback range, Unix seconds
  range_start   BIGINT NULL,
  range_end     BIGINT NULL,
  media_owner   VARCHAR(128) NOT NULL,
  media_ip      VARCHAR(64) NOT NULL,
  media_port    INT NOT NULL,
  transport     ENUM('udp', 'tcp') NOT NULL DEFAULT 'udp',
  ssrc          CHAR(10) CHARACTER SET ascii NOT NULL,
  state         ENUM('inviting', 'playing', 'closing') NOT NULL
                DEFAULT 'inviting',
  -- sipd's dialog (Call-ID, tags, CSeq, route), JSON
  sip_owner     VARCHAR(128) NULL,
  dialog        TEXT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  KEY gb_sessions_device (device_id),
  KEY gb_sessions_owner (media_owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Playback (Type=vod) streams are temporary streams of a channel.
ALTER TABLE streams
  ADD COLUMN IF NOT EXISTS vod_start BIGINT NULL,
  ADD COLUMN IF NOT EXISTS vod_end BIGINT NULL,
  -- a LazyPull stream's last authorised HLS playlist request: HLS viewers
  -- fetch files from nginx, so mediad learns of them only from here
  ADD COLUMN IF NOT EXISTS viewed_at DATETIME(3) NULL,
  -- the daemons' scans of live streams (reconciliation, edge reset) read
  -- only the streams that are on, whatever the tenant
  ADD KEY IF NOT EXISTS streams_live (status, protocol);

-- MobilePosition notifications (SUBSCRIBE), newest last.
CREATE TABLE IF NOT EXISTS gb_positions (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  device_id     BIGINT UNSIGNED NOT NULL,
  gb_id         CHAR(20) CHARACTER SET ascii NOT NULL,
  time          DATETIME(3) NOT NULL,
  longitude     VARCHAR(32) NOT NULL,
  latitude      VARCHAR(32) NOT NULL,
  speed         VARCHAR(32) NOT NULL DEFAULT '',
  direction     VARCHAR(32) NOT NULL DEFAULT '',
  altitude      VARCHAR(32) NOT NULL DEFAULT '',
  KEY gb_positions_device (device_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Alarms (MESSAGE Alarm, as notified or in reply to SUBSCRIBE).
CREATE TABLE IF NOT EXISTS gb_alarms (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  device_id     BIGINT UNSIGNED NOT NULL,
  gb_id         CHAR(20) CHARACTER SET ascii NOT NULL,
  priority      VARCHAR(8) NOT NULL DEFAULT '',
  method        VARCHAR(8) NOT NULL DEFAULT '',
  type          VARCHAR(8) NOT NULL DEFAULT '',
  time          DATETIME(3) NOT NULL,
  description   VARCHAR(1024) NOT NULL DEFAULT '',
  longitude     VARCHAR(32) NOT NULL DEFAULT '',
  latitude      VARCHAR(32) NOT NULL DEFAULT '',
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY gb_alarms_device (device_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
