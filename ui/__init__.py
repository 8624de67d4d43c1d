"""Streamlit glue shared by the pages: navigation, cached data, sidebar status."""
