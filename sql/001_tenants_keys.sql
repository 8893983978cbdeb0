-- Tenants (MtsService), API keys and the nonce ledger of request signing.
CREATE TABLE IF NOT EXISTS tenants (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id       VARCHAR(64) NOT NULL,
  -- 1 suspended, 2 open, 3 deleted (0, never opened, is the absence of a row)
  status        TINYINT NOT NULL,
  -- AES-256-GCM sealed {"AccessKeyId","AccessKeySecret"} of object storage
  access_info   VARBINARY(2048) NOT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY tenants_user_id (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS api_keys (
  access_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                PRIMARY KEY,
  role          ENUM('operator', 'tenant') NOT NULL,
  -- NULL for the operator
  tenant_id     BIGINT UNSIGNED NULL,
  -- AES-256-GCM sealed secret, bound to access_key_id
  secret_enc    VARBINARY(256) NOT NULL,
  revoked       TINYINT(1) NOT NULL DEFAULT 0,
  -- 0 while the tenant is suspended (kept in step by SuspendMtsService and
  -- RenewMtsService, so authentication reads one row)
  enabled       TINYINT(1) NOT NULL DEFAULT 1,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY api_keys_tenant (tenant_id),
  CONSTRAINT api_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB;

-- A SignatureNonce is accepted once per key while its row lives.
CREATE TABLE IF NOT EXISTS nonces (
  access_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  nonce         VARBINARY(128) NOT NULL,
  expires_at    DATETIME NOT NULL,
  PRIMARY KEY (access_key_id, nonce),
  KEY nonces_expires (expires_at)
) ENGINE=InnoDB;
