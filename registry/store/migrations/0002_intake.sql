-- Intake: every file ever received (imported, rejected) with its bytes, and where answers came from.

CREATE TABLE file_blob (
    sha256 VARCHAR PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    data BLOB NOT NULL,
    first_seen_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE import_file_seq START 1;
CREATE TABLE import_file (
    import_id BIGINT PRIMARY KEY DEFAULT nextval('import_file_seq'),
    batch_id VARCHAR NOT NULL,
    source_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    format VARCHAR,
    status VARCHAR NOT NULL,            -- 'imported' | 'rejected'
    supplier_ids VARCHAR[],
    framework_id VARCHAR,
    catalogue_version VARCHAR,
    answers INTEGER NOT NULL DEFAULT 0,
    errors JSON,
    warnings JSON,
    content_kept BOOLEAN NOT NULL,      -- false when the file was refused for its size
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR NOT NULL
);

ALTER TABLE submission ADD COLUMN format VARCHAR;
ALTER TABLE submission ADD COLUMN level INTEGER;
ALTER TABLE submission ADD COLUMN score INTEGER;
ALTER TABLE submission ADD COLUMN band VARCHAR;
ALTER TABLE submission ADD COLUMN import_id BIGINT;

-- User-added mapping profiles (YAML text, validated before it is stored).
CREATE TABLE mapping_profile (
    name VARCHAR PRIMARY KEY,
    yaml VARCHAR NOT NULL,
    added_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    added_by VARCHAR NOT NULL
);

-- The submission that counts for the yardstick: the newest per supplier and framework.
CREATE VIEW current_submission AS
SELECT * EXCLUDE (rank_newest) FROM (
    SELECT s.*, row_number() OVER (
        PARTITION BY supplier_id, framework_id
        ORDER BY submitted_on DESC, imported_at DESC, submission_id DESC
    ) AS rank_newest
    FROM submission s
) WHERE rank_newest = 1;
