-- Trust (docs/security.md): one clock, checked writes, a hash-chained audit log, certificates
-- with surrogate keys, subcontractors declared in the portal kept as proposals.

-- The program's one clock (registry/clock.py) stamps every row; DuckDB's own never does.
ALTER TABLE supplier ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE supplier_link ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE submission ALTER COLUMN imported_at DROP DEFAULT;
ALTER TABLE certificate ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE level_request ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE official_text ALTER COLUMN imported_at DROP DEFAULT;
ALTER TABLE audit_log ALTER COLUMN logged_at DROP DEFAULT;
ALTER TABLE file_blob ALTER COLUMN first_seen_at DROP DEFAULT;
ALTER TABLE mapping_profile ALTER COLUMN added_at DROP DEFAULT;

-- Each audit line holds the hash of the line before it and its own (`monosashi audit verify`).
ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR;
ALTER TABLE audit_log ADD COLUMN line_hash VARCHAR;

-- Certificates get IDs the registry makes (CERT-0000001); the registration number is a fact
-- about the certificate, never the key that a save deletes by.
CREATE SEQUENCE certificate_seq START 1;

-- Which portal invitation a file came through (its token hash), for the portal's quotas.
ALTER TABLE import_file ADD COLUMN via_invitation VARCHAR;

-- Subcontractors a supplier declares (a template's list) are proposals until a buyer confirms
-- them as a new supplier, merges them into a known one, or rejects them.
CREATE SEQUENCE proposal_seq START 1;
CREATE TABLE subcontractor_proposal (
    proposal_id BIGINT PRIMARY KEY DEFAULT nextval('proposal_seq'),
    proposed_by VARCHAR NOT NULL,       -- the supplier that declared it
    name VARCHAR NOT NULL,
    corporate_number VARCHAR,
    supplied VARCHAR,
    critical BOOLEAN NOT NULL,
    source_name VARCHAR,                -- the file it was declared in
    location VARCHAR,
    proposed_at TIMESTAMP NOT NULL,
    state VARCHAR NOT NULL,             -- open | confirmed | merged | rejected
    child_id VARCHAR,                   -- the supplier it became or was merged into
    resolved_at TIMESTAMP,
    resolved_by VARCHAR
);
