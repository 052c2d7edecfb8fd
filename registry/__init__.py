"""Monosashi's core, in layers (docs/architecture.md): ``domain`` (the pure rules), ``store`` (the
one DuckDB registry and every SQL statement), ``services`` (the use cases), ``access`` (who is
acting) and ``cli`` (the ``monosashi`` command); ``clock``, ``errors`` and ``config`` beneath them all."""

__all__: list[str] = []
