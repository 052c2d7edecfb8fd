"""The use cases: intake, the derivation of flags and readiness, documents and exports, and
the read models the pages show. Pages and the CLI call these."""

__all__: list[str] = []
