"""The shapes of the registry's tables as polars schemas: one declaration per table, from which
the writers' frames are built (intake's plans, the demo, the store's typed writes).
tests/test_layers.py checks each against the columns the migrations create."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = [
    "ANSWER_FIELDS",
    "ANSWER_SCHEMA",
    "CERTIFICATE_SCHEMA",
    "LINK_SCHEMA",
    "PLANNED_CONTACT",
    "PLANNED_SUPPLIER_SCHEMA",
    "PROPOSAL_SCHEMA",
    "REQUEST_SCHEMA",
    "SUBMISSION_SCHEMA",
    "SUPPLIER_SCHEMA",
    "YEARLY_CHECK_SCHEMA",
    "PlannedWrite",
]

# Columns of the supplier table that writers fill, with their polars types.
SUPPLIER_SCHEMA: dict[str, pl.DataType] = {
    "supplier_id": pl.String(),
    "name": pl.String(),
    "corporate_number": pl.String(),
    "industry": pl.String(),
    "employees": pl.Int32(),
    "prefecture": pl.String(),
    "has_security_staff": pl.Boolean(),
    "far_from_it_support": pl.Boolean(),
    "name_key": pl.String(),
    # the buyer-side account that looks after the supplier (app_user.user_id)
    "owner_id": pl.String(),
}

# One contact a supplier list names for a supplier (a supplier_contact row without its supplier
# and stamps), as a planned supplier row carries its contacts.
PLANNED_CONTACT = pl.Struct({"name": pl.String(), "email": pl.String(), "language": pl.String()})

# A supplier row an import plans: the supplier table's columns and the contacts the list names
# for it, which are written with it (registry/store/suppliers.py) so that they go, or are
# refused, together.
PLANNED_SUPPLIER_SCHEMA: dict[str, pl.DataType] = {**SUPPLIER_SCHEMA, "contacts": pl.List(PLANNED_CONTACT)}


# Columns of the level_request table that writers fill.
REQUEST_SCHEMA: dict[str, pl.DataType] = {
    "request_id": pl.String(),
    "supplier_id": pl.String(),
    "requested_level": pl.Int32(),
    "requested_on": pl.Date(),
    "due_on": pl.Date(),
    "state": pl.String(),
    "holds_confidential_info": pl.Boolean(),
    "outage_delays_buyer": pl.Boolean(),
    "reaches_buyer_network": pl.Boolean(),
    "reason": pl.String(),
    "decided_by": pl.String(),
    "recommended_level": pl.Int32(),
    "sent_on": pl.Date(),
    "acknowledged_on": pl.Date(),
    "note": pl.String(),
}


PROPOSAL_SCHEMA = {
    "proposed_by": pl.String,
    "name": pl.String,
    "corporate_number": pl.String,
    "supplied": pl.String,
    "critical": pl.Boolean,
    "source_name": pl.String,
    "location": pl.String,
    "child_id": pl.String,
}


LINK_SCHEMA = {
    "parent_id": pl.String,
    "child_id": pl.String,
    "supplied": pl.String,
    "source": pl.String,
    "critical": pl.Boolean,
}


CERTIFICATE_SCHEMA = {
    "certificate_id": pl.String,
    "supplier_id": pl.String,
    "scheme": pl.String,
    "scheme_name": pl.String,
    "registration_no": pl.String,
    "issued_on": pl.Date,
    "expires_on": pl.Date,
    "issuer": pl.String,
    "scope": pl.String,
    "expert_registration_no": pl.String,
    "evaluation_body": pl.String,
}


YEARLY_CHECK_SCHEMA = {
    "certificate_id": pl.String,
    "supplier_id": pl.String,
    "submitted_on": pl.Date,
    "via": pl.String,
}


SUBMISSION_SCHEMA = {
    "local_index": pl.Int32,
    "supplier_id": pl.String,
    "framework_id": pl.String,
    "framework_version": pl.String,
    "catalogue_version": pl.String,
    "submitted_on": pl.Date,
    "source_name": pl.String,
    "sha256": pl.String,
    "format": pl.String,
    "level": pl.Int32,
    "score": pl.Int32,
    "band": pl.String,
}


ANSWER_FIELDS = ("item_id", "raw_answer", "status", "reason", "evidence", "note", "location")


ANSWER_SCHEMA = {
    "local_index": pl.Int32,
    "item_id": pl.String,
    "raw_answer": pl.String,
    "status": pl.String,
    "reason": pl.String,
    "evidence": pl.String,
    "note": pl.String,
    "location": pl.String,
}


@dataclass
class PlannedWrite:
    """Rows a ready file will add, as frames whose columns are the tables' columns (the
    suppliers' with their contacts: :data:`PLANNED_SUPPLIER_SCHEMA`)."""

    submissions: pl.DataFrame
    answers: pl.DataFrame
    suppliers: pl.DataFrame
    links: pl.DataFrame
    certificates: pl.DataFrame
    requests: pl.DataFrame
    proposals: pl.DataFrame
    yearly_checks: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=YEARLY_CHECK_SCHEMA))
