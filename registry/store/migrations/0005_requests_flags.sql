-- Requests get their workflow dates; suppliers the fact that decides on-site support; flags are
-- kept with a stable key so that their workflow survives re-derivation (docs/flags.md).

ALTER TABLE level_request ADD COLUMN recommended_level INTEGER;
ALTER TABLE level_request ADD COLUMN sent_on DATE;
ALTER TABLE level_request ADD COLUMN acknowledged_on DATE;
ALTER TABLE level_request ADD COLUMN note VARCHAR;
ALTER TABLE level_request ADD COLUMN updated_at TIMESTAMP;
UPDATE level_request SET recommended_level = CASE
    WHEN holds_confidential_info OR outage_delays_buyer OR reaches_buyer_network THEN 4
    WHEN NOT holds_confidential_info AND NOT outage_delays_buyer AND NOT reaches_buyer_network THEN 3
END;

ALTER TABLE supplier ADD COLUMN far_from_it_support BOOLEAN;

-- No release ever wrote the first flag table: it is replaced, not migrated.
DROP TABLE flag;
DROP SEQUENCE flag_seq;
CREATE SEQUENCE flag_seq START 1;
CREATE TABLE flag (
    flag_id BIGINT PRIMARY KEY DEFAULT nextval('flag_seq'),
    flag_key VARCHAR NOT NULL UNIQUE,   -- rule | supplier | subject: the same condition keeps its row
    supplier_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,           -- what the flag is about (a certificate, a request, a path end) or ''
    severity VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,            -- in Japanese; reason_en in English
    reason_en VARCHAR NOT NULL,
    facts JSON,
    state VARCHAR NOT NULL,             -- open | acknowledged | resolved | dismissed
    closed_by_rule BOOLEAN NOT NULL DEFAULT false,
    first_held_on DATE NOT NULL,        -- as-of dates of derivations
    last_held_on DATE NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    state_changed_at TIMESTAMP NOT NULL,
    state_changed_by VARCHAR NOT NULL,
    note VARCHAR
);
