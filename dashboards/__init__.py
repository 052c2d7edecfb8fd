"""Streamlit pages and the pure figure builders they use."""

__all__: list[str] = []
