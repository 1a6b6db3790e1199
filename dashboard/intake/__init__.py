"""Data coming in: the webhook receiver and route links, the spool loader, CSV imports, LINE sync and the data status."""
