-- After the attack review of version 8 (docs/security.md).

-- A password change ends the sessions opened before it.
ALTER TABLE app_user ADD COLUMN password_changed_at TIMESTAMP;

-- A certificate a supplier enters through the portal is its claim until a buyer confirms it: only
-- confirmed certificates count (held ★, the yardstick, renewals, flags).
ALTER TABLE certificate ADD COLUMN confirmed BOOLEAN DEFAULT true;
ALTER TABLE certificate ADD COLUMN added_by VARCHAR;
ALTER TABLE certificate ADD COLUMN confirmed_by VARCHAR;
ALTER TABLE certificate ADD COLUMN confirmed_at TIMESTAMP;
UPDATE certificate SET confirmed = true WHERE confirmed IS NULL;
ALTER TABLE certificate ALTER COLUMN confirmed SET NOT NULL;

-- The registration number folded for comparison (width, case, spaces, dashes): the key that
-- belongs to one supplier. Filled for existing rows by the migration's Python step.
ALTER TABLE certificate ADD COLUMN registration_key VARCHAR;

-- What counts: every read of held ★, validity, renewals, the yardstick and the flags reads this.
CREATE VIEW certificate_counted AS SELECT * FROM certificate WHERE confirmed;
