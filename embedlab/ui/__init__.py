"""Streamlit helpers: the only part of ``embedlab`` that imports streamlit.

Pages stay thin by calling these for cached models, URL state, error display and charts.
"""
