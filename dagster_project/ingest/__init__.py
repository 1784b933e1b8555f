"""Landing-zone reading, validation and bulk loading of engagement snapshots."""
