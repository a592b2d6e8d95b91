"""Use cases (one verb each). They orchestrate domain rules over the ports in ``ports``."""
