-- The mapping assistant's memory (docs/mapping-assistant.md): each question a person accepted
-- for a criterion, so that the same question is proposed that criterion first next time, and
-- similar ones rank it higher. Kept as data: the Crosswalks page and `monosashi map` export it.
CREATE TABLE mapping_phrase (
    phrase VARCHAR NOT NULL,            -- the question folded (NFKC, lower case, no spaces)
    question VARCHAR NOT NULL,          -- the question as written
    criterion_id VARCHAR NOT NULL,
    relationship VARCHAR NOT NULL,
    profile VARCHAR,                    -- the profile it was saved with
    accepted_by VARCHAR NOT NULL,
    accepted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (phrase, criterion_id)
);
