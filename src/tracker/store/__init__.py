"""The only package that speaks SQL: engine setup, tables, queries, snapshot compression."""
