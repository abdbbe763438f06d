"""GET /v1/export: a point-in-time snapshot, streamed as CSV or Parquet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.deps import Services, check_venue, services
from api.models import scalar
from api.repository import EXPORT_COLUMNS
from api.timeparams import TimePoint, time_point

if TYPE_CHECKING:
    import pyarrow as pa

router = APIRouter(tags=["export"])

_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")


def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of an Iceberg column type of the silver schema (refdata.bitemporal.schema)."""
    import pyarrow as pa

    if match := _DECIMAL.fullmatch(kind):
        return pa.decimal128(int(match[1]), int(match[2]))
    simple = {"string": pa.string(), "int": pa.int32(), "long": pa.int64(), "boolean": pa.bool_(),
              # Iceberg `timestamp` is without zone and holds naive UTC (refdata.bitemporal.schema).
              "timestamp": pa.timestamp("us", tz="UTC")}
    if kind not in simple:
        raise TypeError(f"no Parquet mapping for column type {kind!r}")
    return simple[kind]


def parquet_schema() -> pa.Schema:
    """The one Parquet schema of GET /v1/export?format=parquet, from the silver column definitions."""
    import pyarrow as pa

    return pa.schema([pa.field(name, arrow_type(kind), nullable=nullable) for name, kind, nullable in EXPORT_COLUMNS])


@router.get("/v1/export", summary="Snapshot at (as_of, as_known_at), streamed",
            response_class=StreamingResponse)
def export(format: Literal["csv", "parquet"] = Query("csv"), venue: str | None = Query(None),
           tp: TimePoint = Depends(time_point), svc: Services = Depends(services)) -> StreamingResponse:
    if venue is not None:
        check_venue(venue, svc.settings)
    batches = svc.repo.export(tp.as_of, tp.as_known_at, venue)
    first = next(batches, [])  # fail (503/502) before the response starts

    def all_batches() -> Iterator[list[dict]]:
        if first:
            yield first
            yield from batches

    stamp = tp.as_of.strftime("%Y%m%dT%H%M%S")
    if format == "csv":
        def csv_chunks() -> Iterator[str]:
            writer = None
            for batch in all_batches():
                buffer = io.StringIO()
                if writer is None:
                    header = list(batch[0])
                    csv.writer(buffer).writerow(header)
                    writer = True
                out = csv.writer(buffer)
                for row in batch:
                    out.writerow(["" if v is None else scalar(v) for v in row.values()])
                yield buffer.getvalue()
        return StreamingResponse(csv_chunks(), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="instruments-{stamp}.csv"'})

    def parquet_chunks() -> Iterator[bytes]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = parquet_schema()
        sink = io.BytesIO()
        writer = pq.ParquetWriter(sink, schema)  # one fixed schema: every batch, and an empty export
        for batch in all_batches():
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
        writer.close()
        yield sink.getvalue()
    return StreamingResponse(parquet_chunks(), media_type="application/vnd.apache.parquet",
                             headers={"Content-Disposition": f'attachment; filename="instruments-{stamp}.parquet"'})
