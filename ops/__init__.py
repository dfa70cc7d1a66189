"""Running caseqa in an office: the shared cache table, the client address behind the proxy, health,
metrics and request logs (docs/deploy.md)."""
