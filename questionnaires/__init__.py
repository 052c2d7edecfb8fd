"""Framework catalogues and crosswalks as data files, with their schema and loader."""

__all__: list[str] = []
