"""Streamlit pages and the pure figure builders they use."""
