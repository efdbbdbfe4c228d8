"""The store: tables (models), the engine that opens and migrates a database (engine), claims
that let processes agree on who does a job (claims), and the migrations."""
