"""The properties of Debezium's embedded PostgreSQL connector, as the golden
recording and the capture benchmark run it: file offsets flushed at once,
pgoutput, connection from the PG* environment variables."""

import os


def connector_properties(name, dbname, offsets_file, **settings):
    """Debezium's properties for database `dbname`; `settings` are more
    connector keys, written with `_` for `.` (slot_name="s" -> slot.name=s)."""
    props = {
        "name": name,
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "offset.storage": "org.apache.kafka.connect.storage.FileOffsetBackingStore",
        "offset.storage.file.filename": offsets_file,
        "offset.flush.interval.ms": "0",
        "database.hostname": os.environ["PGHOST"],
        "database.port": os.environ["PGPORT"],
        "database.user": os.environ["PGUSER"],
        "database.password": os.environ["PGPASSWORD"],
        "database.dbname": dbname,
        "plugin.name": "pgoutput",
    }
    props.update({key.replace("_", "."): value for key, value in settings.items()})
    return props
