"""Generation adapters: the backends that make images (``studio``; the diffusion backend
of a later issue plugs into the same protocol) and the measurements of the QA gates."""
