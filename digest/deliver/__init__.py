"""Delivering: cutting an edition, rendering it, composing and sending mail, the archive."""
