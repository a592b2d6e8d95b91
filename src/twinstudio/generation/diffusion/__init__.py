"""The ``diffusion`` backend: photoreal images from weights a brand holds on disk
(diffusers recipes, conditioned on the body twin), the model registry's folder reader,
and the conditioning images. diffusers, transformers and torch load lazily."""
