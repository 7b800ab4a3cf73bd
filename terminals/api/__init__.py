"""The terminal API v1 (/api/terminal/v1/): signed JSON for kiosks. Contract: docs/terminal-api.md."""
