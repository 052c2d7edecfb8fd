-- People and their roles (docs/security.md). Passwords are stored only as argon2 hashes; an
-- account signed in through the identity provider (OIDC) is matched by e-mail and has none.
CREATE TABLE app_user (
    user_id VARCHAR PRIMARY KEY,         -- the sign-in name
    display_name VARCHAR NOT NULL,
    email VARCHAR UNIQUE,
    role VARCHAR NOT NULL,               -- admin | buyer | viewer | supplier
    supplier_id VARCHAR,                 -- for role supplier: the only supplier it may see
    password_hash VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    disabled_at TIMESTAMP
);

-- Supplier portal invitations: the token itself is shown once and never stored.
CREATE TABLE portal_invitation (
    token_hash VARCHAR PRIMARY KEY,      -- SHA-256 of the token
    supplier_id VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by VARCHAR,
    last_used_at TIMESTAMP,
    uses INTEGER NOT NULL DEFAULT 0
);
