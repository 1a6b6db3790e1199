"""The Streamlit side: navigation (the router), the page context, the shared sidebar, cached questions, charts and page widgets."""
