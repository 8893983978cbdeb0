-- Work for the daemons (mediad, sipd): written by the API in the same
-- transaction as the desired state, claimed with FOR UPDATE SKIP LOCKED and
-- a lease, so a crashed daemon's jobs pass to another when the lease ends.
CREATE TABLE IF NOT EXISTS jobs (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  -- e.g. stream.start, stream.stop, device.refresh
  kind          VARCHAR(32) CHARACTER SET ascii NOT NULL,
  target        BIGINT UNSIGNED NOT NULL,
  payload       TEXT NOT NULL,
  state         ENUM('pending', 'running', 'done', 'failed') NOT NULL
                DEFAULT 'pending',
  owner         VARCHAR(64) NULL,
  lease_expires DATETIME(3) NULL,
  attempts      INT NOT NULL DEFAULT 0,
  last_error    VARCHAR(1024) NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  KEY jobs_claim (state, kind, id),
  KEY jobs_target (target, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
