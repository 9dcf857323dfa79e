-- DthGrains: Orleans ADO.NET clustering (membership) schema for PostgreSQL, matched to Orleans 10.4.2
-- (Microsoft.Orleans.Clustering.AdoNet 10.4.2). Apply after PostgreSQL-Main.sql.
--
-- Contract with the 10.4.2 provider (read from its assembly):
--   query keys   MembershipReadRowKey, MembershipReadAllKey, InsertMembershipVersionKey,
--                InsertMembershipKey, UpdateMembershipKey, UpdateIAmAlivetimeKey, GatewaysQueryKey,
--                DeleteMembershipTableEntriesKey, CleanupDefunctSiloEntriesKey
--                (CleanupDefunctSiloEntryKey is optional and deliberately absent: the provider binds
--                its time parameters as DbType.DateTime, which Npgsql maps to timestamp without
--                time zone, so the bulk CleanupDefunctSiloEntriesKey is used instead).
--   parameters   @DeploymentId (the ClusterId), @Address, @Port, @Generation, @SiloName, @HostName,
--                @Status, @ProxyPort, @SuspectTimes, @StartTime, @IAmAliveTime, @Version (the table
--                version the caller read: an optimistic-concurrency token for the whole table).
--   results      read by column name: DeploymentId, Address, Port, Generation, SiloName, HostName,
--                Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime, Version; the insert and
--                update statements return one column, > 0 for success and 0 for a lost race.
--
-- Times are timestamptz: the provider sends UTC DateTime values, which Npgsql binds as
-- timestamp with time zone. (With timestamp columns and typed function arguments the silo start
-- hangs silently: the function lookup fails and the error shows only in the PostgreSQL log.)
--
-- Idempotent: CREATE ... IF NOT EXISTS, CREATE OR REPLACE FUNCTION, and upserted query rows.
-- Changing a function's argument list later needs DROP FUNCTION IF EXISTS of the old signature
-- first, or the two overloads make calls ambiguous.

CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id varchar(150)   NOT NULL,
    version       integer        NOT NULL DEFAULT 0,
    changed_at    timestamptz(3) NOT NULL DEFAULT now(),
    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (deployment_id)
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   varchar(150)   NOT NULL,
    address         varchar(45)    NOT NULL,
    port            integer        NOT NULL,
    generation      integer        NOT NULL,
    silo_name       text           NOT NULL,
    host_name       text           NOT NULL,
    status          integer        NOT NULL,
    proxy_port      integer        NOT NULL DEFAULT 0,
    suspect_times   text           NULL,
    start_time      timestamptz(3) NOT NULL,
    i_am_alive_time timestamptz(3) NOT NULL,
    CONSTRAINT orleans_membership_pk PRIMARY KEY (deployment_id, address, port, generation),
    CONSTRAINT orleans_membership_version_fk FOREIGN KEY (deployment_id)
        REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE
);

-- Adds a silo's row, provided the caller saw the current table version; bumps the version.
-- Every writer locks the deployment's version row first, so writers of one cluster are serialised
-- and a caller holding an old version gets 0 without changing anything.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
       FROM orleans_membership_version
      WHERE deployment_id = p_deployment_id
        AND version = p_version
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
         start_time, i_am_alive_time)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status,
         coalesce(p_proxy_port, 0), p_start_time, p_i_am_alive_time)
    ON CONFLICT ON CONSTRAINT orleans_membership_pk DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE orleans_membership_version
       SET version = version + 1,
           changed_at = now()
     WHERE deployment_id = p_deployment_id;
    RETURN 1;
END
$fn$;

-- Changes a silo's status, suspicions and liveness time under the same table-version rule.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
       FROM orleans_membership_version
      WHERE deployment_id = p_deployment_id
        AND version = p_version
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE orleans_membership
       SET status = p_status,
           suspect_times = p_suspect_times,
           i_am_alive_time = p_i_am_alive_time
     WHERE deployment_id = p_deployment_id
       AND address = p_address
       AND port = p_port
       AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE orleans_membership_version
       SET version = version + 1,
           changed_at = now()
     WHERE deployment_id = p_deployment_id;
    RETURN 1;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'InsertMembershipVersionKey',
    $sql$
    WITH inserted AS (
        INSERT INTO orleans_membership_version (deployment_id)
        VALUES (@DeploymentId)
        ON CONFLICT ON CONSTRAINT orleans_membership_version_pk DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer AS "Inserted" FROM inserted;
    $sql$
),
(
    'InsertMembershipKey',
    $sql$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
        @StartTime, @IAmAliveTime, @Version) AS "Inserted";
    $sql$
),
(
    'UpdateMembershipKey',
    $sql$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime,
        @Version) AS "Updated";
    $sql$
),
(
    'UpdateIAmAlivetimeKey',
    $sql$
    UPDATE orleans_membership
       SET i_am_alive_time = @IAmAliveTime
     WHERE deployment_id = @DeploymentId
       AND address = @Address
       AND port = @Port
       AND generation = @Generation;
    $sql$
),
(
    'MembershipReadRowKey',
    $sql$
    SELECT v.deployment_id   AS "DeploymentId",
           m.address         AS "Address",
           m.port            AS "Port",
           m.generation      AS "Generation",
           m.silo_name       AS "SiloName",
           m.host_name       AS "HostName",
           m.status          AS "Status",
           m.proxy_port      AS "ProxyPort",
           m.suspect_times   AS "SuspectTimes",
           m.start_time      AS "StartTime",
           m.i_am_alive_time AS "IAmAliveTime",
           v.version         AS "Version"
      FROM orleans_membership_version v
      LEFT JOIN orleans_membership m
        ON m.deployment_id = v.deployment_id
       AND m.address = @Address
       AND m.port = @Port
       AND m.generation = @Generation
     WHERE v.deployment_id = @DeploymentId;
    $sql$
),
(
    'MembershipReadAllKey',
    $sql$
    SELECT v.deployment_id   AS "DeploymentId",
           m.address         AS "Address",
           m.port            AS "Port",
           m.generation      AS "Generation",
           m.silo_name       AS "SiloName",
           m.host_name       AS "HostName",
           m.status          AS "Status",
           m.proxy_port      AS "ProxyPort",
           m.suspect_times   AS "SuspectTimes",
           m.start_time      AS "StartTime",
           m.i_am_alive_time AS "IAmAliveTime",
           v.version         AS "Version"
      FROM orleans_membership_version v
      LEFT JOIN orleans_membership m
        ON m.deployment_id = v.deployment_id
     WHERE v.deployment_id = @DeploymentId;
    $sql$
),
(
    'GatewaysQueryKey',
    $sql$
    SELECT address    AS "Address",
           proxy_port AS "ProxyPort",
           generation AS "Generation"
      FROM orleans_membership
     WHERE deployment_id = @DeploymentId
       AND status = @Status
       AND proxy_port > 0;
    $sql$
),
(
    'DeleteMembershipTableEntriesKey',
    $sql$
    DELETE FROM orleans_membership_version
     WHERE deployment_id = @DeploymentId;
    $sql$
),
(
    'CleanupDefunctSiloEntriesKey',
    $sql$
    DELETE FROM orleans_membership
     WHERE deployment_id = @DeploymentId
       AND i_am_alive_time < @IAmAliveTime
       AND status = 6;
    $sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
