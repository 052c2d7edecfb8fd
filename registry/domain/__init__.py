"""The pure rules of the registry: models, who acts and what each role may write, validity,
the yardstick, flag rules, requests, support and the supply chain. No SQL, no I/O, no clock."""

__all__: list[str] = []
