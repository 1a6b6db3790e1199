"""Entry point: `streamlit run app.py` serves the dashboard.

The navigation script is dashboard/navigation.py (see there why it is not this file). Later, the
background worker (loader, scheduled sends) starts here with the server, through st.App's lifespan.
"""
import streamlit as st

from dashboard.config import ROOT

app = st.App(ROOT / "dashboard" / "navigation.py")
