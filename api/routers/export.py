"""GET /v1/export: a point-in-time snapshot, streamed as CSV or Parquet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.deps import Services, check_venue, services
from api.models import scalar
from api.timeparams import TimePoint, time_point

router = APIRouter(tags=["export"])


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

        sink = io.BytesIO()
        writer = None
        for batch in all_batches():
            table = pa.Table.from_pylist([{k: (None if v is None else str(scalar(v))) for k, v in r.items()} for r in batch])
            if writer is None:
                writer = pq.ParquetWriter(sink, table.schema)
            writer.write_table(table)
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
        if writer is not None:
            writer.close()
            yield sink.getvalue()
    return StreamingResponse(parquet_chunks(), media_type="application/vnd.apache.parquet",
                             headers={"Content-Disposition": f'attachment; filename="instruments-{stamp}.parquet"'})
