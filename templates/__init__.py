"""The digest's Jinja templates (a package so that they install with ckmon)."""
