-- Reminders that reach people (docs/reminders.md): suppliers' contacts, each supplier's owner on
-- the buyer side, each account's digest choice, and one row per reminder so that none is sent twice.

-- The buyer-side account that looks after a supplier (app_user.user_id); its digest lists the
-- supplier's new and overdue flags.
ALTER TABLE supplier ADD COLUMN owner_id VARCHAR;

-- The people at a supplier who receive its reminders, each in their own language.
CREATE SEQUENCE contact_seq START 1;
CREATE TABLE supplier_contact (
    contact_id BIGINT PRIMARY KEY DEFAULT nextval('contact_seq'),
    supplier_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL,             -- checked where it is entered (registry/domain/models.py)
    language VARCHAR NOT NULL,          -- ja | en
    opted_out_at TIMESTAMP,             -- no reminder is sent to it from then on
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);

-- Each account's digest of its suppliers' flags: daily or weekly, in its language, or none.
ALTER TABLE app_user ADD COLUMN digest VARCHAR;                 -- daily | weekly (NULL: weekly)
ALTER TABLE app_user ADD COLUMN language VARCHAR;               -- ja | en (NULL: ja)
ALTER TABLE app_user ADD COLUMN reminders_opted_out_at TIMESTAMP;

-- One row per reminder: the key names what it is about, for whom and for which date, so that
-- planning it again finds the row and never sends it twice. ``sending`` is set (and committed)
-- before the message goes to the server: a run that stopped right then leaves it for a person to
-- check by its message-id, never to be sent again by itself.
CREATE TABLE reminder (
    reminder_key VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    supplier_id VARCHAR,
    subject_id VARCHAR NOT NULL,        -- the certificate, request or account it is about, or ''
    recipient VARCHAR NOT NULL,         -- an e-mail address
    recipient_name VARCHAR,
    language VARCHAR NOT NULL,
    due_on DATE,                        -- the date it is about (expiry, due date, digest day)
    send_on DATE NOT NULL,              -- the first day it may go out
    facts VARCHAR,                      -- JSON: what the message says (names, dates, levels)
    message_id VARCHAR NOT NULL,
    state VARCHAR NOT NULL,             -- pending | sending | sent | failed | cancelled
    tries INTEGER NOT NULL,
    next_try_at TIMESTAMP,              -- after a failure: not before then
    last_error VARCHAR,
    subject VARCHAR,                    -- the message as it went out (a portal link's token masked)
    body VARCHAR,
    attachments VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    sent_at TIMESTAMP,
    changed_at TIMESTAMP,
    changed_by VARCHAR
);
