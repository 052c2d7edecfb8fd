-- The ★4 yearly self-assessment goes to the evaluation body (評価機関へ提出), not to the buyer:
-- each submission is recorded as its own evidence, with the date it was submitted and an
-- optional receipt (its bytes in file_blob), from the supplier's portal, a list or by hand.
CREATE SEQUENCE yearly_check_seq START 1;
CREATE TABLE yearly_check (
    check_id BIGINT PRIMARY KEY DEFAULT nextval('yearly_check_seq'),
    certificate_id VARCHAR NOT NULL,
    supplier_id VARCHAR NOT NULL,
    submitted_on DATE NOT NULL,
    receipt_sha256 VARCHAR,
    receipt_name VARCHAR,
    via VARCHAR NOT NULL,            -- portal, list or hand
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);

-- Who confirmed a ★3 (an expert: 情報処理安全確保支援士 and its registration number) or
-- evaluated a ★4 (the evaluation body), as fields of their own (issuer stays the free text).
ALTER TABLE certificate ADD COLUMN expert_registration_no VARCHAR;
ALTER TABLE certificate ADD COLUMN evaluation_body VARCHAR;
