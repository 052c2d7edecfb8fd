-- Evidence files attached to certificates (PDF or image); the bytes live in file_blob, unaltered.
CREATE TABLE certificate_file (
    certificate_id VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    media_type VARCHAR NOT NULL,
    attached_at TIMESTAMP NOT NULL,
    attached_by VARCHAR NOT NULL,
    PRIMARY KEY (certificate_id, sha256)
);
