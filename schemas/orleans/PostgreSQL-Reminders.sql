-- DthGrains: Orleans ADO.NET reminders schema for PostgreSQL, matched to Orleans 10.4.2
-- (Microsoft.Orleans.Reminders.AdoNet 10.4.2). Apply after PostgreSQL-Main.sql.
--
-- Contract with the 10.4.2 provider (read from its assembly):
--   query keys   ReadReminderRowsKey, ReadReminderRowKey, ReadRangeRows1Key, ReadRangeRows2Key,
--                UpsertReminderRowKey, DeleteReminderRowKey, DeleteReminderRowsKey
--   parameters   @ServiceId, @GrainId (GrainId.ToString()), @ReminderName, @StartTime (UTC),
--                @Period (milliseconds: int, or bigint above int.MaxValue), @GrainHash, @BeginHash,
--                @EndHash (uint hashes sent as signed int), @Version (the reminder's etag)
--   results      GrainId, ReminderName, StartTime, Period (read as Int64), Version; the upsert
--                returns the new Version, the single-row delete one column (> 0 when deleted).
--
-- Range reads: the provider uses ReadRangeRows1Key when (int)begin < (int)end, i.e. the ring range
-- does not wrap in signed order, and ReadRangeRows2Key for the wrapping case.
--
-- Idempotent: CREATE ... IF NOT EXISTS and upserted query rows.

CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    varchar(150)   NOT NULL,
    grain_id      text           NOT NULL,
    reminder_name text           NOT NULL,
    start_time    timestamptz(3) NOT NULL,
    period        bigint         NOT NULL,
    grain_hash    integer        NOT NULL,
    version       integer        NOT NULL,
    CONSTRAINT orleans_reminders_pk PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS orleans_reminders_service_hash_ix
    ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'ReadReminderRowsKey',
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
      FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId;
    $sql$
),
(
    'ReadReminderRowKey',
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
      FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId
       AND reminder_name = @ReminderName;
    $sql$
),
(
    'ReadRangeRows1Key',
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
      FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND grain_hash > @BeginHash
       AND grain_hash <= @EndHash;
    $sql$
),
(
    'ReadRangeRows2Key',
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
      FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
    $sql$
),
(
    'UpsertReminderRowKey',
    $sql$
    INSERT INTO orleans_reminders AS r
        (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT ON CONSTRAINT orleans_reminders_pk DO UPDATE
       SET start_time = EXCLUDED.start_time,
           period = EXCLUDED.period,
           grain_hash = EXCLUDED.grain_hash,
           version = r.version + 1
    RETURNING r.version AS "Version";
    $sql$
),
(
    'DeleteReminderRowKey',
    $sql$
    WITH deleted AS (
        DELETE FROM orleans_reminders
         WHERE service_id = @ServiceId
           AND grain_id = @GrainId
           AND reminder_name = @ReminderName
           AND version = @Version
        RETURNING 1
    )
    SELECT count(*)::integer AS "Deleted" FROM deleted;
    $sql$
),
(
    'DeleteReminderRowsKey',
    $sql$
    DELETE FROM orleans_reminders
     WHERE service_id = @ServiceId;
    $sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
