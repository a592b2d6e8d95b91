"""Outbound HTTP that tenants can aim (webhooks; later monitoring's fetches): every target
resolved and checked against ``domain.network`` before a byte is sent."""
