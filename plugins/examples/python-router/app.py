"""A stream-name mapper plugin in Python: routes tables to Kinesis streams
by rules, so that several tables can share a stream, or a schema can go to
streams of its own, without writing Java or Rust.

Settings (`spillway.mapper.config.<key>`):

- `routes`: comma-separated `pattern=stream` rules, the first match wins.
  A pattern is `schema.table` with shell wildcards (`inventory.*`,
  `*.audit_?`); a stream may use `{server}`, `{database}`, `{schema}` and
  `{table}`.
- `fallback`: the stream of a table that no rule matches; by default
  Debezium's `{server}.{schema}.{table}`. `reject` makes such a table an
  error instead, so that nothing is captured by accident.
"""

import fnmatch
import re

import wit_world
from componentize_py_types import Err
from wit_world.exports import mapper
from wit_world.imports import host

# What Kinesis accepts as a stream name.
STREAM_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
DEBEZIUM_DEFAULT = "{server}.{schema}.{table}"


def rules():
    """The `routes` setting as (pattern, stream) pairs, in order."""
    parsed = []
    for rule in (host.config("routes") or "").split(","):
        rule = rule.strip()
        if not rule:
            continue
        pattern, equals, stream = rule.partition("=")
        if not equals or not pattern.strip() or not stream.strip():
            raise Err(f"route '{rule}' is not pattern=stream (setting 'routes')")
        parsed.append((pattern.strip(), stream.strip()))
    return parsed


def render(template, table):
    """The stream name `template` gives `table`, checked as Kinesis would."""
    name = (
        template.replace("{server}", table.server)
        .replace("{database}", table.database)
        .replace("{schema}", table.schema)
        .replace("{table}", table.name)
    )
    if not STREAM_NAME.fullmatch(name):
        raise Err(
            f"'{name}' (from '{template}') is not a Kinesis stream name: "
            "1 to 128 characters from a-z A-Z 0-9 _ . -"
        )
    return name


class Mapper(wit_world.exports.Mapper):
    def stream_name(self, table: mapper.Table) -> str:
        qualified = f"{table.schema}.{table.name}"
        for pattern, stream in rules():
            if fnmatch.fnmatchcase(qualified, pattern):
                name = render(stream, table)
                host.log(host.Level.INFO, f"{qualified} -> {name} (route {pattern})")
                return name
        fallback = host.config("fallback") or DEBEZIUM_DEFAULT
        if fallback == "reject":
            raise Err(
                f"no route matches table {qualified}: add one to the 'routes' setting, "
                "or leave the table out with the include and exclude lists"
            )
        return render(fallback, table)
