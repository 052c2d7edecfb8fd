-- Core registry tables. Derived facts (tier, certificate state, held ★, readiness, flags'
-- conditions) are computed by queries and never stored here.

CREATE TABLE setting (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE supplier (
    supplier_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,          -- normalised name, for duplicate detection
    corporate_number VARCHAR UNIQUE,    -- 13-digit 法人番号, check digit verified on the way in
    industry VARCHAR,
    employees INTEGER,
    prefecture VARCHAR,
    has_security_staff BOOLEAN,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- parent_id '@buyer' is the buyer itself: its children are the tier-1 suppliers.
CREATE TABLE supplier_link (
    parent_id VARCHAR NOT NULL,
    child_id VARCHAR NOT NULL,
    supplied VARCHAR,
    source VARCHAR NOT NULL,
    critical BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (parent_id, child_id)
);

CREATE SEQUENCE submission_seq START 1;
CREATE TABLE submission (
    submission_id BIGINT PRIMARY KEY DEFAULT nextval('submission_seq'),
    supplier_id VARCHAR NOT NULL,
    framework_id VARCHAR NOT NULL,
    framework_version VARCHAR NOT NULL,
    catalogue_version VARCHAR,
    submitted_on DATE NOT NULL,
    source_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    imported_by VARCHAR NOT NULL
);

CREATE TABLE answer (
    submission_id BIGINT NOT NULL,
    item_id VARCHAR NOT NULL,
    raw_answer VARCHAR,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    evidence VARCHAR,
    note VARCHAR,
    location VARCHAR
);

CREATE TABLE certificate (
    certificate_id VARCHAR PRIMARY KEY,
    supplier_id VARCHAR NOT NULL,
    scheme VARCHAR NOT NULL,
    scheme_name VARCHAR,
    registration_no VARCHAR,
    issued_on DATE NOT NULL,
    expires_on DATE,                    -- as printed on the certificate; NULL: computed by policy
    issuer VARCHAR,
    scope VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE level_request (
    request_id VARCHAR PRIMARY KEY,
    supplier_id VARCHAR NOT NULL,
    requested_level INTEGER NOT NULL,
    requested_on DATE NOT NULL,
    due_on DATE NOT NULL,
    state VARCHAR NOT NULL,
    holds_confidential_info BOOLEAN,
    outage_delays_buyer BOOLEAN,
    reaches_buyer_network BOOLEAN,
    reason VARCHAR,
    decided_by VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE flag_seq START 1;
CREATE TABLE flag (
    flag_id BIGINT PRIMARY KEY DEFAULT nextval('flag_seq'),
    supplier_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    raised_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Official requirement/criterion sentences, only when the user imports IPA's Excel.
CREATE TABLE official_text (
    catalogue_version VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    item_kind VARCHAR NOT NULL,         -- 'requirement' | 'criterion'
    text_ja VARCHAR NOT NULL,
    source_name VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (catalogue_version, item_id)
);

-- Append-only: the store offers no update or delete on it.
CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    entity VARCHAR,
    entity_id VARCHAR,
    detail JSON,
    sha256 VARCHAR
);
