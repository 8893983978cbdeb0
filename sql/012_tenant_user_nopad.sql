-- UserIds compare exactly: utf8mb4_bin pads with spaces, so "acme " found
-- the tenant "acme" (ResourceOwnerAccount, GetMtsServiceStatus ...).
ALTER TABLE tenants MODIFY user_id VARCHAR(64)
  CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL;
