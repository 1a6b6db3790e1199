"""The Streamlit side: navigation, the shared sidebar and page plumbing, charts and page widgets."""
