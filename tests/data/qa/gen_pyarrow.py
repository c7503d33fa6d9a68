"""Parquet layouts DuckDB does not write (pyarrow): a dictionary that overflows into plain
pages inside a column chunk, data pages v2, delta and byte-stream-split encodings, no
statistics. Run from the repository root: python3 tests/data/qa/gen_pyarrow.py tests/data/qa
(the rows of partners P03, P04, P08 of the sample)."""
import datetime
import decimal
import os
import sys

import pyarrow as pa
import pyarrow.compute
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
t = pcsv.read_csv(
    "fixtures/q4-sample/gmv_daily.csv",
    convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in
        ["date", "partner_id", "seller_id", "gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]}),
)
t = t.filter(pa.compute.is_in(t.column("partner_id"), pa.array(["P03", "P04", "P08"])))
AM = ["gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]


def with_amounts(table, typ, conv):
    for a in AM:
        i = table.schema.get_field_index(a)
        vals = [conv(decimal.Decimal(v)) for v in table.column(a).to_pylist()]
        table = table.set_column(i, a, pa.array(vals, type=typ))
    return table


d32 = pa.array([datetime.date.fromisoformat(x) for x in t.column("date").to_pylist()], type=pa.date32())
dec = with_amounts(t.set_column(0, "date", d32), pa.decimal128(18, 2), lambda d: d)
cents = with_amounts(t.set_column(0, "date", d32), pa.int64(), lambda d: int(d * 100))
# Sorted by date so each page holds many distinct sellers.
dec = dec.sort_by([("date", "ascending"), ("seller_id", "ascending")])
cents = cents.sort_by([("date", "ascending"), ("seller_id", "ascending")])
files = {
    "dict_spill_v1": (dec, dict(dictionary_pagesize_limit=120, data_page_size=512, row_group_size=5000)),
    "dict_spill_v2": (dec, dict(dictionary_pagesize_limit=120, data_page_size=512, data_page_version="2.0", compression="zstd")),
    "dict_all_v2_gzip": (dec, dict(data_page_version="2.0", compression="gzip", row_group_size=777)),
    "no_stats": (dec, dict(write_statistics=False)),
    "delta_cents": (cents, dict(use_dictionary=False, column_encoding={"gmv": "DELTA_BINARY_PACKED", "live_gmv": "DELTA_BINARY_PACKED", "partner_id": "DELTA_BYTE_ARRAY", "seller_id": "DELTA_LENGTH_BYTE_ARRAY"})),
    "bss_cents": (cents, dict(use_dictionary=["partner_id"], column_encoding={"gmv": "BYTE_STREAM_SPLIT"})),
    "plain_tiny_pages": (cents, dict(use_dictionary=False, data_page_size=100, row_group_size=3001)),
    "text_dict": (t, dict(dictionary_pagesize_limit=300, data_page_size=256)),
}
for name, (table, opts) in files.items():
    pq.write_table(table, os.path.join(out, name + ".parquet"), **opts)
