"""Tables, the database connection and the unit of work."""
