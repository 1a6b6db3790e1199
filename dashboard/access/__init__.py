"""Who may do what: roles, passwords, log-in checks, sessions, OIDC and the log-in routes."""
