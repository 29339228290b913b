"""compass-action: record GitHub workflow deployments and builds as Atlassian Compass events."""

__version__ = "0.1.0"
