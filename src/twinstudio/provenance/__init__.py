"""Provenance adapters: C2PA content credentials, invisible watermark, perceptual and
local-feature fingerprints, and the toolkit the services use through their port."""
