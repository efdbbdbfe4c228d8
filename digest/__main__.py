"""`python -m digest` is `ckmon`."""

from digest.cli import main

main()
