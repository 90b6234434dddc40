"""CAMINO orchestrator: deployment intents, configuration as data, admission, reconciliation."""
