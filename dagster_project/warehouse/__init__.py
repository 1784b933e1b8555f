"""Connection, embedded Postgres, migrations runner and bulk-load helpers."""
