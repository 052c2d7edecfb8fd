-- Readiness as the daily derivation saw it: one row per supplier and day on which it changed.
-- It is a record kept for history and fast portfolio pages; it can always be derived again from
-- the submissions and certificates, which are never deleted.
CREATE TABLE readiness_history (
    supplier_id VARCHAR NOT NULL,
    taken_on DATE NOT NULL,
    star3 DOUBLE NOT NULL,
    star3_partial DOUBLE NOT NULL,
    star4 DOUBLE NOT NULL,
    star4_partial DOUBLE NOT NULL,
    cat1 DOUBLE NOT NULL,   -- share of the category's ★4 criteria met (1 governance … 7 recovery)
    cat2 DOUBLE NOT NULL,
    cat3 DOUBLE NOT NULL,
    cat4 DOUBLE NOT NULL,
    cat5 DOUBLE NOT NULL,
    cat6 DOUBLE NOT NULL,
    cat7 DOUBLE NOT NULL,
    PRIMARY KEY (supplier_id, taken_on)
);
