-- DthGrains: Orleans ADO.NET base schema for PostgreSQL (matched to Orleans 10.4.2).
--
-- Orleans' ADO.NET providers read every statement they run from one table: at start they issue
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- and look the rows up by key. The clustering and reminders scripts upsert their rows into it.
-- Result columns are read by name (case-insensitively) and parameters are bound by name (@Name).
--
-- Idempotent: safe to run on every start, and concurrently (OrleansSchema takes an advisory lock).

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT orleansquery_pk PRIMARY KEY (QueryKey)
);

COMMENT ON TABLE OrleansQuery IS
    'Statements the Orleans 10.4.2 ADO.NET providers execute, by key. Maintained by schemas/orleans/*.sql (DthGrains).';
