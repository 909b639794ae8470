"""ClickHouse storage of cityops: table names, versioned migrations, read API, reconciliation.

Names and column lists live in `cityops.db.tables`; import them rather than retyping.
"""
