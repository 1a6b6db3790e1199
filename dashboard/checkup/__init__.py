"""The account's check-up (issue 16): goals with their progress and forecast, the articles' failure patterns as alerts with evidence and a suggested action, and what staff did about them."""
