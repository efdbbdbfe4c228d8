"""Sample pages for `ckmon demo`: written for the demo, not real news."""
