-- GB28181 lockout per (device, source address): wrong digests from one
-- address lock only that address, for sip.lock_duration, so nobody can lock
-- out a camera from elsewhere (README: GB28181).
CREATE TABLE IF NOT EXISTS gb_auth_failures (
  device_id     BIGINT UNSIGNED NOT NULL,
  ip            VARCHAR(64) NOT NULL,
  -- failures since first_at (a run longer than sip.lock_window restarts)
  failures      INT NOT NULL,
  first_at      DATETIME(3) NOT NULL,
  -- locked out until then (NULL: not locked)
  locked_until  DATETIME(3) NULL,
  -- the lock also made the device failed: UnlockDevice (status no longer
  -- failed) lifts it
  dev_locked    TINYINT(1) NOT NULL DEFAULT 0,
  -- SHA2 of the sealed password the failures were counted against: a new
  -- Password (ModifyDevice) lifts the lock
  pw_tag        CHAR(64) NOT NULL,
  PRIMARY KEY (device_id, ip),
  KEY gb_auth_failures_first (first_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A REGISTER whose Request-URI names no space (sip:<domain>) finds its
-- device by the From id alone.
ALTER TABLE devices ADD KEY IF NOT EXISTS devices_gb (gb_id);
