"""CLI stage: the ``hbcheck`` command."""
