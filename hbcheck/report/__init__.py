"""Report stage: results formatted for people and for tools."""
