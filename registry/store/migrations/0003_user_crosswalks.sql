-- Crosswalks edited or imported by users (JSON validated against the crosswalk schema first).
-- One with the ID of a shipped crosswalk replaces it for this registry.
CREATE TABLE user_crosswalk (
    crosswalk_id VARCHAR PRIMARY KEY,
    json VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    saved_by VARCHAR NOT NULL
);
