-- Templates (record, snapshot, transcode, timeshift), their bindings and the
-- records that recording produces (spec sections 5 and 6, NOTES section 7).
-- Columns of a type a template is not are kept at their defaults.
CREATE TABLE IF NOT EXISTS templates (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  type          ENUM('record', 'snapshot', 'transcode', 'timeshift') NOT NULL,
  name          VARCHAR(128) NOT NULL,
  description   VARCHAR(1024) NOT NULL DEFAULT '',
  callback      VARCHAR(1024) NOT NULL DEFAULT '',
  region        VARCHAR(64) NOT NULL DEFAULT '',
  onest_bucket  VARCHAR(128) NOT NULL DEFAULT '',
  onest_endpoint VARCHAR(256) NOT NULL DEFAULT '',
  interval_s    INT NOT NULL DEFAULT 0,
  -- record: comma list of mp4, flv, hls in that order; snapshot: jpg
  file_format   VARCHAR(32) NOT NULL DEFAULT '',
  mp4           VARCHAR(256) NOT NULL DEFAULT '',
  flv           VARCHAR(256) NOT NULL DEFAULT '',
  hls_m3u8      VARCHAR(256) NOT NULL DEFAULT '',
  hls_ts        VARCHAR(256) NOT NULL DEFAULT '',
  jpg_overwrite VARCHAR(256) NOT NULL DEFAULT '',
  jpg_sequence  VARCHAR(256) NOT NULL DEFAULT '',
  record_trigger ENUM('auto', 'ondemand') NOT NULL DEFAULT 'auto',
  -- days the objects are kept, 0: forever
  expired       INT NOT NULL DEFAULT 0,
  -- timeshift: days
  retention     INT NOT NULL DEFAULT 0,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  KEY templates_tenant (tenant_id, type, created_at),
  KEY templates_tenant_created (tenant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The renditions of a transcode template; read only through a template row
-- already checked to be the caller's.
CREATE TABLE IF NOT EXISTS trans_configs (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  template_id   BIGINT UNSIGNED NOT NULL,
  name          VARCHAR(32) NOT NULL,
  video_codec   VARCHAR(16) NOT NULL,
  video_bitrate INT NOT NULL,
  fps           INT NOT NULL,
  gop           INT NOT NULL,
  height        INT NOT NULL,
  width         INT NOT NULL,
  UNIQUE KEY trans_configs_name (template_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One binding per (instance, template type) (NOTES section 7). A stream
-- binding made by BindTemplate ApplyAll=true on a space records that space in
-- via_group: it follows the space's binding (replaced with it, removed when
-- it is unbound). A stream's own binding (via_group NULL) is left alone.
CREATE TABLE IF NOT EXISTS template_bindings (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  instance_type ENUM('group', 'stream') NOT NULL,
  instance_id   BIGINT UNSIGNED NOT NULL,
  template_type ENUM('record', 'snapshot', 'transcode', 'timeshift') NOT NULL,
  template_id   BIGINT UNSIGNED NOT NULL,
  via_group     BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (instance_type, instance_id, template_type),
  KEY template_bindings_template (template_id),
  KEY template_bindings_instance (tenant_id, instance_id),
  KEY template_bindings_via (via_group, template_id)
) ENGINE=InnoDB;

-- One object a recording or a snapshot wrote. Times are UTC; a snapshot has
-- start_time = end_time and duration 0.
CREATE TABLE IF NOT EXISTS records (
  id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  stream_id     BIGINT UNSIGNED NOT NULL,
  type          ENUM('record', 'snapshot') NOT NULL,
  file_format   ENUM('mp4', 'flv', 'hls', 'jpg') NOT NULL,
  onest_bucket  VARCHAR(128) NOT NULL DEFAULT '',
  object_key    VARCHAR(1024) NOT NULL,
  url           VARCHAR(2048) NOT NULL DEFAULT '',
  size_bytes    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  height        INT NOT NULL DEFAULT 0,
  width         INT NOT NULL DEFAULT 0,
  -- seconds
  duration      INT NOT NULL DEFAULT 0,
  start_time    DATETIME NOT NULL,
  end_time      DATETIME NOT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY records_stream_time (tenant_id, stream_id, type, start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
