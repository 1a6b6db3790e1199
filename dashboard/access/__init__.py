"""Who may do what: roles, passwords, sessions, OIDC and the log-in routes."""
