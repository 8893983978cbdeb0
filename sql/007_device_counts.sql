-- Devices per (space, status, type), kept by triggers in the same
-- transaction as every change to devices, so DescribeDevices' TotalCount and
-- the spaces' Stats need no scan of a space's devices.
CREATE TABLE IF NOT EXISTS device_counts (
  group_id      BIGINT UNSIGNED NOT NULL,
  status        ENUM('new', 'on', 'off', 'failed') NOT NULL,
  type          ENUM('ipc', 'platform', 'ied') NOT NULL,
  n             INT NOT NULL,
  PRIMARY KEY (group_id, status, type)
) ENGINE=InnoDB;

CREATE TRIGGER IF NOT EXISTS device_counts_insert AFTER INSERT ON devices
FOR EACH ROW
  INSERT INTO device_counts (group_id, status, type, n)
  VALUES (NEW.group_id, NEW.status, NEW.type, 1)
  ON DUPLICATE KEY UPDATE n = n + 1;

CREATE TRIGGER IF NOT EXISTS device_counts_delete AFTER DELETE ON devices
FOR EACH ROW
  UPDATE device_counts SET n = n - 1
  WHERE group_id = OLD.group_id AND status = OLD.status AND type = OLD.type;

CREATE TRIGGER IF NOT EXISTS device_counts_update AFTER UPDATE ON devices
FOR EACH ROW
BEGIN
  IF NOT (OLD.group_id <=> NEW.group_id AND OLD.status <=> NEW.status
      AND OLD.type <=> NEW.type) THEN
    UPDATE device_counts SET n = n - 1
    WHERE group_id = OLD.group_id AND status = OLD.status
      AND type = OLD.type;
    INSERT INTO device_counts (group_id, status, type, n)
    VALUES (NEW.group_id, NEW.status, NEW.type, 1)
    ON DUPLICATE KEY UPDATE n = n + 1;
  END IF;
END;

-- devices made before this migration
INSERT INTO device_counts (group_id, status, type, n)
SELECT group_id, status, type, COUNT(*) FROM devices
GROUP BY group_id, status, type
ON DUPLICATE KEY UPDATE n = VALUES(n);
